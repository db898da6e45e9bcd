pragma circom 2.1.0;

// "My credit is at least `threshold` in the epoch whose Poseidon credit root is `root`", without
// saying who: the prover knows a `secret` whose identity commitment Poseidon(secret) sits, with a
// credit, in a leaf Poseidon(commitment, credit) of that root's depth-20 binary Poseidon tree.
//
// Public signals, in this order (snarkjs lists them so; CreditGate.sol relies on it):
//   root       the epoch's Poseidon credit root, finalised by residents' commit-reveal
//   threshold  the least credit the gate asks for
//   scope      the gate's scope: keccak256(abi.encode(chainid, gate, keccak256(label))) mod p,
//              computed off-circuit (CreditGate.scope(), credit/zk/scope.py)
//   nullifier  Poseidon(secret, scope): one use per resident and scope; two scopes unlinkable
//   recipient  the address the proof is for; squared below so the proof binds it (no front-run)
//
// Range checks: credit and threshold are held to 64 bits before the comparison, because
// circomlib's LessThan does not range-check its inputs (a field "negative" would pass).

include "../node_modules/circomlib/circuits/poseidon.circom";
include "../node_modules/circomlib/circuits/bitify.circom";
include "../node_modules/circomlib/circuits/comparators.circom";

template CreditAtLeast(depth) {
    signal input root;
    signal input threshold;
    signal input scope;
    signal input nullifier;
    signal input recipient;

    signal input secret;
    signal input credit;
    signal input pathElements[depth];
    signal input pathIndices[depth]; // bit i: the node at level i is a right child

    component identity = Poseidon(1);
    identity.inputs[0] <== secret;

    component leaf = Poseidon(2);
    leaf.inputs[0] <== identity.out;
    leaf.inputs[1] <== credit;

    signal node[depth + 1];
    signal left[depth];
    component hashes[depth];
    node[0] <== leaf.out;
    for (var i = 0; i < depth; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        left[i] <== node[i] + pathIndices[i] * (pathElements[i] - node[i]);
        hashes[i] = Poseidon(2);
        hashes[i].inputs[0] <== left[i];
        hashes[i].inputs[1] <== node[i] + pathElements[i] - left[i];
        node[i + 1] <== hashes[i].out;
    }
    root === node[depth];

    component creditBits = Num2Bits(64);
    creditBits.in <== credit;
    component thresholdBits = Num2Bits(64);
    thresholdBits.in <== threshold;
    component enough = GreaterEqThan(64);
    enough.in[0] <== credit;
    enough.in[1] <== threshold;
    enough.out === 1;

    component nullifierHash = Poseidon(2);
    nullifierHash.inputs[0] <== secret;
    nullifierHash.inputs[1] <== scope;
    nullifier === nullifierHash.out;

    signal recipientSquare;
    recipientSquare <== recipient * recipient;
}

component main {public [root, threshold, scope, nullifier, recipient]} = CreditAtLeast(20);
