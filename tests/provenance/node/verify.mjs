// Independent C2PA check for reel's tests: c2pa-rs (compiled to WebAssembly) reads a file
// and reports its validation state. Usage: node verify.mjs FILE MIME [TRUST_ANCHORS.pem]
// Prints one JSON object: {"state": "Valid"|"Trusted"|"Invalid"|..., "failure": [codes],
// "success": [codes], "informational": [codes], "ingredient_failure": [codes],
// "active_manifest": {the active manifest as c2pa-rs reads it: claim generator, assertions,
// ingredients}}. Exit 0 when a manifest was read, 2 otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, WasmReader } from '@contentauth/c2pa-wasm';

const [file, mime, anchors] = process.argv.slice(2);
if (!file || !mime) {
  console.error('usage: node verify.mjs FILE MIME [TRUST_ANCHORS.pem]');
  process.exit(64);
}
const require = createRequire(import.meta.url);
initSync({ module: readFileSync(require.resolve('@contentauth/c2pa-wasm/c2pa.wasm')) });

const settings = { verify: { verify_trust: true } };
if (anchors) settings.trust = { user_anchors: readFileSync(anchors, 'utf8') };
const codes = (list) => (list || []).map((s) => s.code);
try {
  const reader = await WasmReader.fromBytes(mime, new Uint8Array(readFileSync(file)),
                                            JSON.stringify(settings));
  const store = JSON.parse(reader.json());
  const active = (store.validation_results || {}).activeManifest || {};
  console.log(JSON.stringify({
    state: store.validation_state,
    failure: codes(active.failure),
    success: codes(active.success),
    informational: codes(active.informational),
    ingredient_failure: ((store.validation_results || {}).ingredientDeltas || [])
        .flatMap((d) => codes((d.validationDeltas || {}).failure)),
    active_manifest: (store.manifests || {})[store.active_manifest] || null,
  }));
} catch (e) {
  console.log(JSON.stringify({ state: 'Error', error: String(e && e.message ? e.message : e) }));
  process.exit(2);
}
