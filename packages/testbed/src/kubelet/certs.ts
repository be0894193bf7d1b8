/**
 * The kubelet's two certificates, signed by the control plane's CA in k8s/pki: a client certificate that makes it
 * the node `system:node:backlot-node` in group `system:nodes` (what the Node authorizer and NodeRestriction act on),
 * and a serving certificate for its HTTPS port (the API server does not verify it without
 * --kubelet-certificate-authority, but a CA-signed one costs nothing more than a self-signed one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pkiDir, writeKubeconfig } from '../kubernetes';
import { signedCert } from '../tls';
import { kubeletKubeconfig, NODE_NAME } from './paths';

const CLIENT = 'kubelet-client';
const SERVING = 'kubelet-serving';

export function kubeletServingCert(): { cert: string; key: string } {
  return {
    cert: path.join(pkiDir(), `${SERVING}.crt`),
    key: path.join(pkiDir(), `${SERVING}.key`),
  };
}

/** Made once next to the CA (the control plane's pki dir predates the kubelet, so they have their own marker). */
export async function ensureKubeletCerts(): Promise<void> {
  const dir = pkiDir();
  const marker = path.join(dir, 'kubelet.complete');
  if (!fs.existsSync(marker)) {
    await signedCert(
      dir,
      CLIENT,
      `system:node:${NODE_NAME}`,
      'extendedKeyUsage=clientAuth\n',
      'system:nodes',
    );
    await signedCert(
      dir,
      SERVING,
      NODE_NAME,
      `subjectAltName=IP:127.0.0.1,DNS:${NODE_NAME},DNS:localhost\nextendedKeyUsage=serverAuth\n`,
    );
    fs.writeFileSync(marker, '');
  }
  writeKubeconfig(kubeletKubeconfig(), `system:node:${NODE_NAME}`, CLIENT);
}
