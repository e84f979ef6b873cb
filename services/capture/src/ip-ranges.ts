// The address ranges live in @glimpse/platform, shared with the gateway's webhook address guard.
export { Cidr, isHostName, nonPublicRange, parseIp, unmapped, type IpAddress } from '@glimpse/platform';
