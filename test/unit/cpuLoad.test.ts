import * as assert from "node:assert/strict";
import { type CpuSample, LoadAwareThreads, otherProgramsCores, sampleCpu, threadsForLoad, threadsLabel } from "../../src/engine/cpuLoad";

/** Samples one second apart in which other programs use `others` cores and this process `own`. */
function fakeCpu(): { sample: () => CpuSample; next: (others: number, own?: number) => void } {
  let at = 0;
  let busy = 0;
  let ownMs = 0;
  return {
    sample: () => ({ atMs: at, busyMs: busy, ownMs }),
    next: (others, own = 0) => {
      at += 1000;
      busy += (others + own) * 1000;
      ownMs += own * 1000;
    },
  };
}

describe("load-aware threads", () => {
  it("counts other programs' CPU, not this process's own (the model's threads)", () => {
    const before = { atMs: 0, busyMs: 0, ownMs: 0 };
    assert.equal(otherProgramsCores(before, { atMs: 1000, busyMs: 2000, ownMs: 2000 }), 0);
    assert.equal(otherProgramsCores(before, { atMs: 1000, busyMs: 2000, ownMs: 1000 }), 1);
    assert.equal(otherProgramsCores(before, { atMs: 1000, busyMs: 500, ownMs: 900 }), 0, "never negative");
    assert.equal(otherProgramsCores(before, before), 0, "no time passed");
  });

  it("reads real counters", () => {
    const a = sampleCpu();
    const b = sampleCpu();
    assert.ok(b.atMs >= a.atMs && b.busyMs >= a.busyMs && b.ownMs >= a.ownMs && a.busyMs > 0);
  });

  it("gives one thread fewer per busy core, counting 0.6 of a core as busy, never fewer than 1", () => {
    assert.equal(threadsForLoad(2, 0), 2);
    assert.equal(threadsForLoad(2, 0.5), 2);
    assert.equal(threadsForLoad(2, 0.6), 1);
    assert.equal(threadsForLoad(2, 1.9), 1);
    assert.equal(threadsForLoad(8, 2.7), 5);
    assert.equal(threadsForLoad(8, 40), 1);
    assert.equal(threadsForLoad(1, 3), 1);
  });

  it("ignores a one-second burst, follows sustained load within two seconds, and comes back when it ends", () => {
    const cpu = fakeCpu();
    const changes: number[] = [];
    const threads = new LoadAwareThreads({ maxThreads: 2, sample: cpu.sample, onChange: (n) => changes.push(n) });
    threads.start();
    try {
      cpu.next(1, 2);
      threads.tick(); // one busy second: smoothed 0.5
      assert.equal(threads.threads, 2);
      cpu.next(0, 2);
      threads.tick(); // over: 0.25
      assert.deepEqual(changes, []);

      cpu.next(1, 1);
      threads.tick(); // 0.625
      assert.equal(threads.threads, 1);
      cpu.next(1, 1);
      threads.tick(); // 0.81
      assert.deepEqual(changes, [1], "one change while the load lasts");
      assert.ok(threads.otherCores > 0.8 && threads.otherCores < 0.82, String(threads.otherCores));

      cpu.next(0, 2);
      threads.tick(); // 0.41
      assert.equal(threads.threads, 2);
      assert.deepEqual(changes, [1, 2]);
    } finally {
      threads.stop();
    }
    assert.equal(threads.threads, 2, "stopping forgets the load");
  });

  it("says how many threads run and why", () => {
    assert.equal(threadsLabel({ threads: 2 }), "2");
    assert.equal(threadsLabel({ threads: 2, threadsInUse: 1, otherCpuCores: 1.24 }), "1 of 2 (other programs are using about 1.2 CPU cores)");
    assert.equal(threadsLabel({}), "?");
  });
});
