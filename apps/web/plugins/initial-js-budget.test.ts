import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { measureInitialJs } from "./initial-js-budget";

const gz = (code: string) => gzipSync(code, { level: 9 }).length;

describe("measureInitialJs", () => {
  it("counts entries and their static imports, transitively, once each", () => {
    const chunks = [
      { fileName: "index.js", isEntry: true, imports: ["react.js", "shared.js"], code: "entry();" },
      { fileName: "react.js", isEntry: false, imports: ["shared.js"], code: "react();".repeat(50) },
      { fileName: "shared.js", isEntry: false, imports: [], code: "shared();" },
      { fileName: "lazy.js", isEntry: false, imports: ["shared.js"], code: "loadedLater();" },
    ];
    const result = measureInitialJs(chunks);
    expect(result.files.sort()).toEqual(["index.js", "react.js", "shared.js"]);
    expect(result.gzipBytes).toBe(gz("entry();") + gz("react();".repeat(50)) + gz("shared();"));
  });

  it("is zero without entries", () => {
    const lazy = { fileName: "lazy.js", isEntry: false, imports: [], code: "loadedLater();" };
    expect(measureInitialJs([lazy])).toEqual({ files: [], gzipBytes: 0 });
  });
});
