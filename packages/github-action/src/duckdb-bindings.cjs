// DuckDB's native part in the action (see native.cjs); its JavaScript API is bundled.
module.exports = require("./native.cjs")("@duckdb/node-bindings", "1.5.6-r.1", "DuckDB");
