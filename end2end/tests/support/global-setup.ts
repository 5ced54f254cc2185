// Before the browser tests: the built site is compressed as a deployment's build
// step does (`server compress-site`), so that the tests see what visitors get.
import { execFileSync } from 'node:child_process';
import { serverBin, siteRoot } from './server';

export default function globalSetup(): void {
  execFileSync(serverBin(), ['compress-site', '--site-root', siteRoot()], { stdio: 'inherit' });
}
