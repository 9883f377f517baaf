/**
 * The seed of this run's property tests: FERRY_SEED when set (to replay a failure), otherwise
 * fresh. Tests put it in their title so every report shows how to reproduce it.
 */
export const SEED: number = process.env["FERRY_SEED"] ? Number(process.env["FERRY_SEED"]) : Math.floor(Math.random() * 2 ** 31);
export const seedNote = `seed ${SEED}; replay with FERRY_SEED=${SEED}`;
