import { ferryVitestConfig } from "../../vitest.shared.js";

export default ferryVitestConfig(import.meta.dirname);
