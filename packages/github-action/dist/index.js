import { createRequire as __ferryRequire } from 'node:module';
const require = __ferryRequire(import.meta.url);
import s from"node:v8";import{Worker as i}from"node:worker_threads";var c={maxYoungGenerationSizeMb:96},g=50;function n(e,o={}){s.setFlagsFromString(`--heap-growing-percent=${g}`);let t=new i(e,{...o.workerData!==void 0?{workerData:o.workerData}:{},...o.argv?{argv:o.argv}:{},resourceLimits:c}),a=o.report??(r=>process.stderr.write(`error ${r instanceof Error?r.stack??r.message:String(r)}
`));return t.on("error",r=>{a(r),process.exitCode=1}),t.on("exit",r=>{process.exitCode||=r}),t}n(new URL("./run.js",import.meta.url),{report:e=>process.stdout.write(`::error::${String(e instanceof Error?e.message:e).replace(/%/g,"%25").replace(/\r/g,"%0D").replace(/\n/g,"%0A")}
`)});
