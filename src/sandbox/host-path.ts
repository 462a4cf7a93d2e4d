/** The PATH host tools are looked up in: the standard system directories only. */
export const hostPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
