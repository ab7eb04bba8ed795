import { IN_INSTANCE, IN_ROOTFS } from './rootfs.js';

/**
 * systemd-nspawn and LXC mount a boot id of the container's own over
 * /proc/sys/kernel/random/boot_id. The workload reports the kernel's boot id to tell whether the
 * instance shares the host's kernel, so this fixed script unmounts that mask first (both keep
 * CAP_SYS_ADMIN in the container), then runs its arguments, which it never parses.
 */
const UNMASK_BOOT_ID_SCRIPT = `${IN_INSTANCE.busybox} umount /proc/sys/kernel/random/boot_id; exec "$@"`;

/** The workload, run after unmasking the kernel's boot id. */
export function workWithKernelBootId(repetitions: number): string[] {
  return [IN_INSTANCE.busybox, 'sh', '-c', UNMASK_BOOT_ID_SCRIPT, 'unmask-boot-id', ...IN_ROOTFS.work(repetitions)];
}
