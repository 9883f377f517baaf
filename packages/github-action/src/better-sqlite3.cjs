// SQLite's driver in the action (see native.cjs).
module.exports = require("./native.cjs")("better-sqlite3", "12", "SQLite");
