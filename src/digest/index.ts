/**
 * digest/: content addressing. Parsing and validating "alg:hex" strings, hashing buffers, and
 * the verifying pass-through that every fetched byte goes through before ferry trusts it.
 */
export { type Algorithm, digestOf, isDigest, parseDigest } from './digest.js';
export { VerifyingStream, type VerifyOptions, verifyBytes } from './verify.js';
