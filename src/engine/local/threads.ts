import { LoadAwareThreads, type CpuSample } from "../cpuLoad";
import type { LogLevel } from "../api";
import type { EngineSettings } from "../types";
import type { Llama } from "./llamaRuntime";

/**
 * Sets llama.cpp's thread count, and with automatic threads gives it one thread fewer per core
 * other programs keep busy (see cpuLoad.ts); node-llama-cpp applies the Llama's maxThreads to
 * each batch it decodes. `onChange` gets the threads in use and other programs' cores while
 * reduced, undefined when all threads are in use again. Returns the follower to stop later.
 */
export function followCpuLoad(
  llama: Llama,
  settings: EngineSettings,
  deps: { readonly sampleCpu?: () => CpuSample; readonly log: (level: LogLevel, message: string) => void },
  onChange: (threadsInUse: number | undefined, otherCpuCores: number | undefined) => void,
): LoadAwareThreads | undefined {
  llama.maxThreads = settings.threads;
  if (!settings.threadsAuto || settings.threads < 2) return undefined;
  const full = settings.threads;
  const follower = new LoadAwareThreads({
    maxThreads: full,
    sample: deps.sampleCpu,
    onChange: (threads, otherCores) => {
      llama.maxThreads = threads;
      const reduced = threads < full;
      const cores = otherCores.toFixed(1);
      deps.log(
        "info",
        reduced
          ? `Other programs are using about ${cores} CPU cores: generating with ${threads} of ${full} threads until they are done (slm.threads is automatic).`
          : `The CPU is free again (other programs use about ${cores} cores): generating with all ${full} threads.`,
      );
      onChange(reduced ? threads : undefined, reduced ? otherCores : undefined);
    },
  });
  follower.start();
  return follower;
}
