import type { Command } from 'commander';
import { createColors } from 'picocolors';
import type { Availability } from '../../../engines/real/availability.js';
import type { RealDriver } from '../../../engines/real/driver-spec.js';
import { type HostCapabilities, probeHostCapabilities } from '../../../engines/real/host/capabilities.js';
import { detectHostHardware } from '../../../engines/real/host/hardware.js';
import { engineIds, loadEngine } from '../../../engines/registry.js';
import { type CliContext, useColor, write } from '../context.js';

interface DriverReport {
  readonly id: string;
  readonly title: string;
  readonly modeledCounterpart?: string;
  readonly requires: readonly string[];
  readonly availability: Availability;
}

async function inspectDrivers(): Promise<DriverReport[]> {
  const reports: DriverReport[] = [];
  for (const id of engineIds('real')) {
    const driver = (await loadEngine(id, 'real')) as RealDriver;
    const availability = await driver.availability();
    reports.push({
      id,
      title: driver.title,
      modeledCounterpart: driver.modeledCounterpart,
      requires: driver.spec.requires,
      availability,
    });
  }
  return reports;
}

/** The capability probes drivers' reasons come from, one line each. */
function renderCapabilities(capabilities: HostCapabilities, c: ReturnType<typeof createColors>): string[] {
  const mark = (ok: boolean): string => (ok ? c.green('yes') : c.yellow('no '));
  const lines = [
    c.bold('Host capabilities'),
    `cgroups          ${capabilities.cgroups.value.padEnd(6)}  ${c.dim(capabilities.cgroups.detail)}`,
    `user namespaces  ${mark(capabilities.userNamespaces.value)}     ${c.dim(capabilities.userNamespaces.detail)}`,
    `KVM              ${mark(capabilities.kvm.value)}     ${c.dim(capabilities.kvm.detail)}`,
  ];
  const gvisor = capabilities.gvisor;
  if (gvisor) {
    lines.push(
      `gVisor platforms ${gvisor.runnable.join(', ') || 'none runnable'}${gvisor.runnable.length > 0 ? c.dim(' (runnable, preferred first)') : ''}`,
    );
    for (const [platform, detail] of Object.entries(gvisor.details))
      lines.push(c.dim(`                 ${platform}: ${detail}`));
  }
  return lines;
}

function renderText(
  reports: readonly DriverReport[],
  color: boolean,
  capabilities: HostCapabilities,
  host?: string,
): string {
  const c = createColors(color);
  const width = Math.max(...reports.map((r) => r.id.length));
  const lines = [c.bold('virtbench doctor: real drivers on this host'), ''];
  for (const r of reports) {
    const status = r.availability.available ? c.green('available') : c.yellow('missing  ');
    lines.push(
      `${r.id.padEnd(width)}  ${status}  ${r.title}${r.modeledCounterpart ? c.dim(` (model: ${r.modeledCounterpart})`) : ''}`,
    );
    const indent = ' '.repeat(width + 2);
    for (const found of r.availability.found) lines.push(c.dim(`${indent}found: ${found}`));
    for (const reason of r.availability.reasons) lines.push(c.yellow(`${indent}why not: ${reason}`));
    lines.push(c.dim(`${indent}Debian packages: ${r.requires.join(', ')}`));
  }
  const available = reports.filter((r) => r.availability.available).length;
  const missing = [...new Set(reports.flatMap((r) => r.availability.packages))];
  lines.push(
    '',
    `${available} of ${reports.length} real drivers available.${available < reports.length ? ' Unavailable drivers are skipped with their reason.' : ''}`,
  );
  if (missing.length > 0) lines.push(`To add the missing ones: apt-get install -y ${missing.join(' ')}`);
  lines.push('', ...renderCapabilities(capabilities, c));
  if (host) lines.push('', c.bold('Host hardware (hardware: host)'), host);
  return lines.join('\n');
}

export function register(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .description(
      'list the real drivers this host can run, why the others cannot, and the Debian packages that bring them',
    )
    .option('--host', "also probe this host's hardware as `hardware: host` sees it (takes a few seconds)")
    .option('--json', 'print the findings as JSON')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour')
    .action(async (flags: { host?: boolean; json?: boolean; color?: boolean }) => {
      const reports = await inspectDrivers();
      const capabilities = await probeHostCapabilities();
      const hardware = flags.host ? await detectHostHardware() : undefined;
      if (flags.json) {
        write(
          context.stdout,
          JSON.stringify({ drivers: reports, capabilities, ...(hardware ? { hardware } : {}) }, null, 2),
        );
        return;
      }
      const host = hardware
        ? [
            hardware.description,
            `cpu ${hardware.cpu.sockets}x${hardware.cpu.coresPerSocket}x${hardware.cpu.threadsPerCore} @ ${hardware.cpu.ghz} GHz, virtualization ${hardware.cpu.virtualization ? 'yes' : 'no'}, syscall ${hardware.cpu.syscallNs} ns`,
            `memory ${hardware.memory.gib} GiB, ${hardware.memory.bandwidthGBs} GB/s copy, ${hardware.memory.randomAccessNs} ns random access`,
            `storage ${hardware.storage.capacityGiB} GiB, ${hardware.storage.seqWriteMBs} MB/s write, ${hardware.storage.seqReadMBs} MB/s read, ${hardware.storage.latencyUs} us sync latency`,
            `network ${hardware.network.gbits} Gbit/s, ${hardware.network.rttUs} us loopback round trip`,
          ].join('\n')
        : undefined;
      // Missing drivers are a finding, not a failure: the exit status stays 0.
      write(context.stdout, renderText(reports, useColor(context, flags.color), capabilities, host));
    });
}
