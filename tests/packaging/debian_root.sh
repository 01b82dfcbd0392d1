# Sourced by the packaging tests: fresh Debian 12 (bookworm) roots to install into.
#
# The base is `debootstrap --variant=minbase bookworm` from the configured Debian mirror, plus
# what a Turing Pi board's Ubuntu also has and the tests need (python3 for Ansible's modules,
# systemd for systemctl enable, the NFS packages) and the libraries the drover packages depend
# on, so that installing drover needs no network. A debootstrap takes a minute or two, so the
# base is cached, unpacked, in $DROVER_TEST_CACHE (/var/cache/drover-tests), keyed by its
# package list. Each test root is an overlay over that base: writes go to the test's own
# directory, the base stays pristine. Everything else is as Debian ships it: no drover user, no
# /etc/drover, no systemd running. Needs root and a private mount namespace
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

# debian_base PACKAGE...: makes (once) and prints the cached base root with PACKAGEs included.
debian_base() {
  local extra=(python3 systemd nfs-common nfs-kernel-server "$@")
  local cache=${DROVER_TEST_CACHE:-/var/cache/drover-tests}
  local key
  key=$(printf '%s\n' "${extra[@]}" | sort -u | sha256sum | cut -c1-16)
  local base=$cache/bookworm-$key
  mkdir -p "$cache"
  (
    flock 9
    if [ ! -e "$base/.complete" ]; then
      if ! command -v debootstrap >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
      fi
      local mirror
      mirror=$(grep -rhoE 'https?://deb\.debian\.org/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ \
        2>/dev/null | head -n1)
      rm -rf "$base"
      echo "debian_root: debootstrap --variant=minbase bookworm into $base (once)" >&2
      # The libraries go in with apt, not --include: debootstrap resolves no virtual packages
      # (libspdlog1.10-fmt9 is one).
      if ! { debootstrap --variant=minbase bookworm "$base" "${mirror:-http://deb.debian.org/debian}" &&
             mount -t proc proc "$base/proc" &&
             chroot "$base" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
               --no-install-recommends "${extra[@]}" &&
             chroot "$base" apt-get clean && umount "$base/proc"; } >"$cache/debootstrap.log" 2>&1; then
        tail -n 30 "$cache/debootstrap.log" >&2
        umount "$base/proc" 2>/dev/null || true
        rm -rf "$base"
        exit 1
      fi
      touch "$base/.complete"
    fi
  ) 9>"$cache/.lock" || return 1
  echo "$base"
}

# make_debian_root DIR BASE: DIR becomes a writable overlay over BASE, with /proc mounted.
make_debian_root() {
  local dir=$1 base=$2
  mkdir -p "$dir" "$dir.upper" "$dir.work"
  mount -t overlay overlay -o "lowerdir=$base,upperdir=$dir.upper,workdir=$dir.work" "$dir"
  mount -t proc proc "$dir/proc"
}
