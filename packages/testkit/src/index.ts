export { activationYaml } from "./fixtures.js";
export { SEED, seedNote } from "./seed.js";
export { testdir } from "./testdir.js";
