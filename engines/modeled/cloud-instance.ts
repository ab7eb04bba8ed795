import { assumed } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';

/**
 * A cloud instance launched through its provider's API: the control plane takes the request,
 * places it on a host, creates the root volume from its snapshot and attaches a network
 * interface, and only then does the hypervisor boot the guest, whose boot is KVM's.
 *
 * A sketch: the calibration set has no row for any of it, so every control-plane figure is
 * assumed, and users should calibrate it with their own launch measurements (an engine profile
 * overriding these, or `controlPlane` figures from their provider's API logs).
 */
export const cloudInstance = defineModeledEngine({
  ...kvm.spec,
  id: 'cloud-instance',
  title: 'Cloud instance (control plane, then a KVM guest)',
  controlPlane: {
    apiCallMs: assumed(300, 'a RunInstances-style request: authentication, validation and queueing, a few hundred ms'),
    placementMs: assumed(1500, 'choosing and reserving a host in the zone: about a second or two'),
    volumeFromSnapshotMs: assumed(
      5000,
      'creating a root volume from a snapshot lazily (blocks fetched on first read) and attaching it: a few seconds',
    ),
    networkAttachMs: assumed(2000, 'creating and attaching a network interface with its address and security groups'),
  },
});
