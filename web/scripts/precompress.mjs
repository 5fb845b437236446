// After `vite build`: a .gz beside every text file of api/web/static/ (the app's build and the widget's
// files), which the API sends to browsers that accept gzip (api/web/router.py). Static files only: API answers are never compressed
// (no secret shares a compressed response with text an attacker chose).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("../../api/web/static/", import.meta.url));
const TEXT = /\.(js|css|html|svg|json)$/;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (TEXT.test(name)) writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
  }
}

walk(root);
