import { all, ordersExtraction, seedOrders } from "@ferry/testkit/conformance";
import { createTempWarehouse, describeWarehouses } from "@ferry/testkit/warehouses";
import { expect, it } from "vitest";
import { connect } from "../connect.js";

describeWarehouses(["sqlite"], () => {
  it("lets SQLite checkpoint the state it records while a run reads the new rows", async () => {
    const temp = await createTempWarehouse("sqlite");
    const wh = connect(temp.url, { chunkSize: 10 });
    try {
      await seedOrders(wh, 50);
      await wh.state.ensure(temp.stateSchema);
      const extraction = ordersExtraction(temp);
      // Whether a checkpoint could copy the whole log back while the first chunk is out.
      const checkpointWhileReading = async (whileRecording: boolean) => {
        const reading = wh.newRows(extraction, { whileRecording })[Symbol.asyncIterator]();
        const first = await reading.next();
        await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [
          { pkHash: first.value!.keys[0]!, eventId: "orders:1", eventTime: 1 },
        ]);
        // PASSIVE: copies what no reader still needs, without waiting for readers.
        const [result] = await wh.execute("PRAGMA wal_checkpoint(PASSIVE)");
        await reading.return?.();
        return Number(result!["log"]) > 0 && Number(result!["checkpointed"]) === Number(result!["log"]);
      };
      // A preview's read holds its snapshot; a run's read has ended once its copy is made.
      expect(await checkpointWhileReading(false)).toBe(false);
      expect(await checkpointWhileReading(true)).toBe(true);
      expect((await all(wh.newRows(extraction, { whileRecording: true }))).length).toBe(48);
    } finally {
      await wh.close();
      await temp.drop();
    }
  });

  it("refuses an in-memory database, which cannot keep state", () => {
    expect(() => connect("sqlite::memory:")).toThrow(/in-memory SQLite/);
  });
});
