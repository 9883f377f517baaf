import { createRequire as __ferryRequire } from 'node:module';
const require = __ferryRequire(import.meta.url);
import{Worker as t}from"node:worker_threads";var r={maxYoungGenerationSizeMb:96};var o=new t(new URL("./run.js",import.meta.url),{resourceLimits:r});o.on("error",e=>{process.stdout.write(`::error::${String(e instanceof Error?e.message:e).replace(/%/g,"%25").replace(/\r/g,"%0D").replace(/\n/g,"%0A")}
`),process.exitCode=1});o.on("exit",e=>{process.exitCode||=e});
