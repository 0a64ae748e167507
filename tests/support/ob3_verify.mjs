// Independent Open Badges 3.0 check, run by tests/app/test_badges_interop.py.
//
// Digital Bazaar's libraries (pinned in package.json): @digitalbazaar/vc verifies the
// eddsa-rdfc-2022 Data Integrity proof (with @digitalbazaar/data-integrity and
// @digitalbazaar/eddsa-rdfc-2022-cryptosuite) and @digitalbazaar/vc-bitstring-status-list
// checks the credential's revocation status (verifying the signed status list too).
// Nothing here shares code with the app's badges/ package.
//
// Input on stdin (JSON): {"credential": {...}, "documents": {url: document},
// "contexts": {url: path}}. "documents" are the app's answers for its key, issuer and
// status list URLs (fetched by the test through the Flask test client); "contexts" are
// local copies of JSON-LD contexts. Any other URL is refused: no network.
// Output on stdout (JSON): {"verified": bool, "errors": [str], "revoked": bool | null}.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const input = JSON.parse(readFileSync(0, 'utf8'));
const documents = input.documents || {};
const contexts = input.contexts || {};

async function documentLoader(url) {
  if(Object.prototype.hasOwnProperty.call(documents, url)) {
    return {contextUrl: null, documentUrl: url, document: documents[url]};
  }
  if(Object.prototype.hasOwnProperty.call(contexts, url)) {
    const document = JSON.parse(readFileSync(contexts[url], 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`Document not available offline: ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

function messages(error) {
  if(!error) {
    return [];
  }
  const list = Array.isArray(error) ? error : [error];
  return list.flatMap(e => [
    e.message || String(e), ...messages(e.errors), ...messages(e.cause)
  ]);
}

const output = {verified: false, errors: [], revoked: null};
try {
  const result = await vc.verifyCredential({
    credential: input.credential,
    suite,
    documentLoader,
    checkStatus
  });
  output.verified = result.verified === true;
  output.errors = messages(result.error);
  if(result.statusResult) {
    output.errors.push(...messages(result.statusResult.error));
  }
} catch(e) {
  output.errors = messages(e);
}
if(input.credential && input.credential.credentialStatus) {
  const status = await checkStatus({credential: input.credential, documentLoader, suite});
  if(status.verified) {
    output.revoked = status.results.some(r => r.status === true);
  } else {
    output.errors.push(...messages(status.error));
  }
}
process.stdout.write(JSON.stringify(output));
