// Bundle the front-end into one self-contained ES module (no relative
// imports: anywidget loads it from a Blob URL). `node build.mjs [--watch]`.
import * as esbuild from "esbuild";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const outfile = fileURLToPath(new URL("../static/labeller.js", import.meta.url));
const options = {
  entryPoints: [`${here}index.js`],
  outfile,
  bundle: true,
  format: /** @type {const} */ ("esm"),
  target: "es2022",
  minify: true,
  legalComments: /** @type {const} */ ("eof"),
  banner: { js: "/* labelloop front-end. Includes uPlot (MIT), (c) Leon Sorokin, https://github.com/leeoniya/uPlot */" },
  logLevel: /** @type {const} */ ("warning"),
};

if (process.argv.includes("--watch")) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log("watching…");
} else {
  const started = performance.now();
  const result = await esbuild.build({ ...options, write: false });
  // Write then rename, so a test or server reading the bundle never sees half of it.
  mkdirSync(dirname(outfile), { recursive: true });
  const partial = `${outfile}.${process.pid}.tmp`;
  writeFileSync(partial, result.outputFiles[0].contents);
  renameSync(partial, outfile);
  console.log(`built ${outfile} in ${Math.round(performance.now() - started)} ms`);
}
