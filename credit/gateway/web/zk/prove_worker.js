// The prover's Web Worker: a Groth16 proof of circuits/credit_at_least.circom with snarkjs, off the
// page's main thread. A classic worker (snarkjs.min.js is a script defining `snarkjs`).
//   in:  {input, assets}          input: the circuit's full input (decimal strings)
//   out: {stage, ...} messages: "loading", "witness", "proving", then {done, proof, publicSignals,
//        seconds} or {error}
/* global snarkjs, importScripts */
let loaded = false;

function progress(stage, extra) {
  self.postMessage({ stage, ...extra });
}

self.onmessage = async (event) => {
  const { input, assets } = event.data;
  const started = performance.now();
  try {
    if (!loaded) {
      progress("loading");
      importScripts(assets + "/snarkjs.min.js");
      loaded = true;
    }
    progress("witness");
    // snarkjs reports its proving steps on the logger: the first one ends the witness stage.
    let proving = false;
    const step = (msg) => {
      if (!proving && /Reading|multiexp|fft|Building|QAP/i.test(String(msg))) {
        proving = true;
        progress("proving", { detail: String(msg) });
      }
    };
    const logger = { debug: step, info: step, warn() {}, error() {} };
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      input,
      assets + "/credit_at_least.wasm",
      assets + "/credit_at_least.zkey",
      logger,
    );
    self.postMessage({ done: true, proof, publicSignals, seconds: (performance.now() - started) / 1000 });
  } catch (err) {
    self.postMessage({ error: String((err && err.message) || err) });
  }
};
