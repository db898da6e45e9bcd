// Answers Poseidon questions from node for tests/zk/test_poseidon.py, reading JSON on stdin:
//   {"reference": [[inputs...], ...], "trees": [[{commitment, credit}, ...], ...],
//    "identities": [{signature, chainId, gate, label}, ...]}
// -> {"reference": [circomlibjs's Poseidon of each], "browser": [the browser module's Poseidon of each],
//     "roots": [the browser module's root of each tree], "identities": [{secret, scope, ...}]}
import { readFileSync } from "node:fs";
import { buildPoseidon } from "circomlibjs";
import { poseidon, poseidonRoot } from "../../credit/gateway/web/js/verify/poseidon.js";
import * as identity from "../../credit/gateway/web/js/verify/zk_identity.js";

const question = JSON.parse(readFileSync(0, "utf8"));
const reference = await buildPoseidon();
const answer = {
  reference: question.reference.map((xs) => reference.F.toString(reference(xs.map(BigInt)))),
  browser: question.reference.map((xs) => poseidon(xs.map(BigInt)).toString()),
  roots: question.trees.map((leaves) => poseidonRoot(leaves)),
  identities: (question.identities || []).map((q) => {
    const secret = identity.secretFromSignature(q.signature);
    const scope = identity.scopeOf(q.chainId, q.gate, q.label);
    return {
      message: identity.secretMessage(q.chainId),
      secret: secret.toString(),
      commitment: identity.identityCommitment(secret).toString(),
      scope: scope.toString(),
      nullifier: identity.nullifierOf(secret, scope).toString(),
    };
  }),
};
process.stdout.write(JSON.stringify(answer) + "\n");
process.exit(0);
