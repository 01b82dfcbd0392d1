# Sourced by the packaging tests: fresh Debian 12 (bookworm) roots to install into.
#
# Two cached layers in $DROVER_TEST_CACHE (/var/cache/drover-tests), both made once:
#   base  `debootstrap --variant=minbase bookworm` from the configured Debian mirror, plus what a
#         Turing Pi board's OS also has and the tests need: python3 (Ansible's modules run
#         inside), systemd (systemctl enable), the NFS packages. A few minutes, once per machine.
#   libs  the libraries the drover packages depend on, and python3-apt, installed by apt over
#         the base (an overlay's upper directory, keyed by the list), so that installing
#         drover needs no network. Seconds to a minute, again whenever the dependencies change.
# Each test root is a writable overlay over libs and base: the test writes to its own
# directory, the cache stays pristine. Everything else is as Debian ships it: no drover user,
# no /etc/drover, no systemd running. Needs root and a private mount namespace
# (enter_mount_namespace), so that every mount vanishes with the test, pass or fail.

# Re-executes the calling script in a private mount namespace (once).
enter_mount_namespace() {
  if [ -z "${DROVER_TEST_MOUNT_NS:-}" ]; then
    exec env DROVER_TEST_MOUNT_NS=1 unshare --mount --propagation private bash "$0" "$@"
  fi
}

# deb_depends DEB...: the packages the given .deb files depend on, other than drover's own.
deb_depends() {
  for d in "$@"; do dpkg-deb -f "$d" Depends; done | tr ',' '\n' |
    sed -E 's/\(.*\)//; s/\|.*//; s/:any//; s/^ +//; s/ +$//' | grep -v '^drover-' | grep -v '^$' | sort -u
}

_debian_cache() { echo "${DROVER_TEST_CACHE:-/var/cache/drover-tests}"; }

# The base layer's directory, made if missing. Call with the cache lock held.
_debian_base_layer() {
  local cache base mirror
  cache=$(_debian_cache)
  local extra=(python3 systemd nfs-common nfs-kernel-server)
  base=$cache/bookworm-base-$(printf '%s\n' "${extra[@]}" | sha256sum | cut -c1-12)
  if [ ! -e "$base.complete" ]; then
    if ! command -v debootstrap >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
    fi
    mirror=$(grep -rhoE 'https?://deb\.debian\.org/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ \
      2>/dev/null | head -n1)
    rm -rf "$base"
    echo "debian_root: debootstrap --variant=minbase bookworm into $base (once per machine)" >&2
    if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${extra[*]}")" bookworm "$base" \
      "${mirror:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1; then
      tail -n 30 "$cache/debootstrap.log" >&2
      rm -rf "$base"
      return 1
    fi
    chroot "$base" apt-get clean
    touch "$base.complete"
  fi
  echo "$base"
}

# debian_base PACKAGE...: prints the overlay lowerdir (libs:base) of a root with PACKAGEs.
debian_base() {
  local cache
  cache=$(_debian_cache)
  mkdir -p "$cache"
  (
    flock 9
    base=$(_debian_base_layer) || exit 1
    # python3-apt: Ansible's apt module runs on it.
    set -- "$@" python3-apt
    libs=$cache/bookworm-libs-$( (echo "$base"; printf '%s\n' "$@" | sort -u) | sha256sum | cut -c1-12)
    if [ ! -e "$libs.complete" ]; then
      # The libraries go in with apt, not debootstrap --include: debootstrap resolves no
      # virtual packages (libspdlog1.10-fmt9 is one).
      rm -rf "$libs" "$libs.tmp"
      mkdir -p "$libs.tmp/upper" "$libs.tmp/work" "$libs.tmp/root"
      if ! { mount -t overlay overlay \
               -o "lowerdir=$base,upperdir=$libs.tmp/upper,workdir=$libs.tmp/work" "$libs.tmp/root" &&
             mount -t proc proc "$libs.tmp/root/proc" &&
             chroot "$libs.tmp/root" apt-get update -q &&
             chroot "$libs.tmp/root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
               --no-install-recommends "$@" &&
             chroot "$libs.tmp/root" apt-get clean; } >"$cache/libs.log" 2>&1; then
        tail -n 30 "$cache/libs.log" >&2
        umount -R "$libs.tmp/root" 2>/dev/null || true
        rm -rf "$libs.tmp"
        exit 1
      fi
      umount -R "$libs.tmp/root"
      mv "$libs.tmp/upper" "$libs"
      rm -rf "$libs.tmp"
      touch "$libs.complete"
    fi
    echo "$libs:$base"
  ) 9>"$cache/.lock"
}

# make_debian_root DIR LOWER: DIR becomes a writable overlay over LOWER (from debian_base),
# with /proc and /sys mounted (drover-noded --print-topology reads them).
make_debian_root() {
  local dir=$1 lower=$2
  mkdir -p "$dir" "$dir.upper" "$dir.work"
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir.upper,workdir=$dir.work" "$dir"
  mount -t proc proc "$dir/proc"
  mount -t sysfs sysfs "$dir/sys"
}
