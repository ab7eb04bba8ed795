import { ociConfig } from './rootfs.js';

/**
 * The one place an OCI runtime's application container is described: the generated rootfs,
 * host paths bound read-only at the same place (the tools and their libraries), a writable
 * directory, and which network namespace the container joins. Every OCI driver's startServer and
 * runInInstance write this config, so the hook is a few lines per runtime.
 */

/** host: the host's network namespace; a path: join that namespace (bridge mode); own: a new, empty one. */
export type ContainerNetwork =
  | { readonly kind: 'host' }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'own' };

export interface AppContainer {
  readonly args: readonly string[];
  readonly hostPaths: readonly string[];
  readonly writableDir?: string;
  readonly network: ContainerNetwork;
  /** Working directory inside the container; default /. */
  readonly cwd?: string;
}

export function ociAppConfig(rootfs: string, hostname: string, app: AppContainer): Record<string, unknown> {
  const config = ociConfig(rootfs, app.args, hostname) as {
    process: Record<string, unknown>;
    mounts: Record<string, unknown>[];
    linux: { namespaces: { type: string; path?: string }[] };
  };
  config.process.cwd = app.cwd ?? '/';
  // The tools a host binary finds on PATH: sh for step scripts comes from busybox in /bin.
  config.process.env = [
    ...(config.process.env as string[]).filter((e) => !e.startsWith('PATH=')),
    'PATH=/bin:/usr/bin:/usr/sbin',
  ];
  for (const path of app.hostPaths)
    config.mounts.push({ destination: path, type: 'bind', source: path, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  if (app.writableDir)
    config.mounts.push({
      destination: app.writableDir,
      type: 'bind',
      source: app.writableDir,
      options: ['rbind', 'rw'],
    });
  const others = config.linux.namespaces.filter((ns) => ns.type !== 'network');
  if (app.network.kind === 'own') others.push({ type: 'network' });
  if (app.network.kind === 'path') others.push({ type: 'network', path: app.network.path });
  config.linux.namespaces = others;
  return config;
}
