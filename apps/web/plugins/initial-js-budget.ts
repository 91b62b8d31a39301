import { gzipSync } from "node:zlib";
import type { Logger, Plugin } from "vite";

/** The part of a Rollup/Rolldown output chunk the budget needs. */
export interface ChunkInfo {
  fileName: string;
  isEntry: boolean;
  /** Static imports only: dynamic ones load later and are not initial. */
  imports: readonly string[];
  code: string;
}

/**
 * The JavaScript a browser must download before the app starts: every entry chunk and, through
 * their static imports, every chunk they pull in. Returns the gzipped total in bytes.
 */
export function measureInitialJs(chunks: readonly ChunkInfo[]): { files: string[]; gzipBytes: number } {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const initial = new Set<string>();
  const visit = (fileName: string) => {
    const chunk = byName.get(fileName);
    if (!chunk || initial.has(fileName)) return;
    initial.add(fileName);
    for (const imported of chunk.imports) visit(imported);
  };
  for (const chunk of chunks) if (chunk.isEntry) visit(chunk.fileName);

  let gzipBytes = 0;
  for (const fileName of initial) {
    gzipBytes += gzipSync((byName.get(fileName) as ChunkInfo).code, { level: 9 }).length;
  }
  return { files: [...initial], gzipBytes };
}

/** Prints the initial JavaScript's gzipped size and fails the build above `limitKb`. */
export function initialJsBudget({ limitKb }: { limitKb: number }): Plugin {
  let logger: Logger | undefined;
  return {
    name: "initial-js-budget",
    apply: "build",
    configResolved(config) {
      logger = config.logger;
    },
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).flatMap((output) => (output.type === "chunk" ? [output] : []));
      const { gzipBytes } = measureInitialJs(chunks);
      const kb = gzipBytes / 1024;
      const summary = `initial JS: ${kb.toFixed(1)} KB gzipped (limit ${limitKb} KB)`;
      if (kb > limitKb) this.error(`${summary}: over budget`);
      logger?.info(summary);
    },
  };
}
