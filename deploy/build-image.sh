#!/usr/bin/env bash
# Build deploy/Dockerfile without a daemon or a registry and smoke-test the image.
#
#   deploy/build-image.sh            # as root, from anywhere in the repository
#
# The base is a local Debian bookworm with python3.11 made by debootstrap from Debian's packages
# (no image registry is reachable here), turned into an image by `FROM scratch` + `ADD rootfs.tar /`.
# That base also carries the wheels of requirements.lock, downloaded on this host with their
# hashes, and PIP_NO_INDEX/PIP_FIND_LINKS pointing at them: the Dockerfile's own
# `pip install --require-hashes -r requirements.lock` then runs unchanged, with no network inside
# the build. The image is built with Debian's buildah (vfs storage, chroot isolation, --pull-never)
# and runs `syncd --version` and `syncd demo` as its own user.
#
# Network steps (apt, debootstrap, pip download) are retried, and their results cached under
# SYNCD_IMAGE_CACHE (default /var/cache/syncd-image): the root filesystem per day, the wheels per
# lock file. Container storage is a temporary folder, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${SYNCD_IMAGE_CACHE:-/var/cache/syncd-image}"
MIRROR="${SYNCD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PYTHON="${PYTHON:-python3}"

log() { printf '[build-image %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
retry() {  # retry N COMMAND...: a flaky mirror gets N tries, 10 s apart
    local tries=$1 n=1
    shift
    until "$@"; do
        [ "$n" -ge "$tries" ] && { log "failed $n times: $*"; return 1; }
        log "try $n failed, retrying: $*"
        n=$((n + 1))
        sleep 10
    done
}

[ "$(id -u)" -eq 0 ] || { echo "build-image.sh needs root (debootstrap, chroot isolation)" >&2; exit 1; }
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
    log "installing buildah and debootstrap from Debian's packages"
    retry 3 apt-get update -qq
    retry 3 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        buildah debootstrap >/dev/null
fi
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
    || { echo "the wheels are downloaded for the image's Python 3.11: set PYTHON to a 3.11" >&2; exit 1; }

mkdir -p "$CACHE"
WORK="$(mktemp -d /tmp/syncd-image.XXXXXX)"
STORE=(--root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
cleanup() {
    buildah "${STORE[@]}" rm --all >/dev/null 2>&1 || true
    buildah "${STORE[@]}" rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# 1. Debian bookworm + python3.11 (venv needs the distutils that debootstrap does not resolve).
#    One tarball a day; if today's debootstrap fails after its retries, the newest older one serves.
#    The builder's root filesystem adds a C compiler and Python's headers (syncd's compiled camt
#    reader); the image itself stays without them.
PACKAGES=python3.11,python3.11-venv,python3-distutils
make_rootfs() {  # make_rootfs EXTRA_PACKAGES: debootstrap into $WORK/rootfs
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase --include="$PACKAGES$1" \
        bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log" >&2; return 1; }
}
rootfs() {  # rootfs NAME EXTRA_PACKAGES: prints the tarball's path, made or taken from the cache
    local name=$1 extra=$2 tarball older
    tarball="$CACHE/$name-$(date -u +%Y-%m-%d).tar"
    if [ -s "$tarball" ]; then
        log "root filesystem from cache: $tarball" >&2
        echo "$tarball"
        return
    fi
    log "debootstrap bookworm ($name) from $MIRROR" >&2
    if retry 3 make_rootfs "$extra" >&2; then
        rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
        tar -C "$WORK/rootfs" -cf "$tarball.part" .
        mv "$tarball.part" "$tarball"
        rm -rf "$WORK/rootfs"
        find "$CACHE" -maxdepth 1 -name "$name-2*.tar" ! -path "$tarball" -delete
        echo "$tarball"
    else
        older="$(find "$CACHE" -maxdepth 1 -name "$name-2*.tar" | sort | tail -1)"
        [ -n "$older" ] || return 1
        log "debootstrap failed; using the cached $older" >&2
        echo "$older"
    fi
}
ROOTFS="$(rootfs bookworm-python3.11 "")"
BUILDER_ROOTFS="$(rootfs bookworm-python3.11-build ",gcc,libc6-dev,libpython3.11-dev")"

# 2. The locked wheels, for CPython 3.11 on glibc x86_64 (the base's platform), checked by hash.
LOCK_SUM="$(sha256sum requirements.lock | cut -c1-16)"
WHEELS="$CACHE/wheels-$LOCK_SUM"
if [ ! -f "$WHEELS/.complete" ]; then
    log "downloading the wheels of requirements.lock"
    rm -rf "$WHEELS"
    download() {
        "$PYTHON" -m pip download --quiet --require-hashes --only-binary=:all: \
            --dest "$WHEELS" -r requirements.lock >"$WORK/pip.log" 2>&1 \
            || { grep -v "Location 'file:" "$WORK/pip.log" | tail -20; return 1; }
    }
    retry 3 download
    touch "$WHEELS/.complete"
    find "$CACHE" -maxdepth 1 -name 'wheels-*' ! -path "$WHEELS" -exec rm -rf {} +
else
    log "wheels from cache: $WHEELS"
fi

# 3. The local base images: the image's, and the builder's with the compiler.
base_image() {  # base_image ROOTFS TAG
    rm -rf "$WORK/base" && mkdir -p "$WORK/base"
    cp "$1" "$WORK/base/rootfs.tar"
    cp -r "$WHEELS" "$WORK/base/wheels"
    printf '%s\n' 'FROM scratch' 'ADD rootfs.tar /' 'COPY wheels/ /opt/wheels/' \
        'ENV PIP_NO_INDEX=1 PIP_FIND_LINKS=/opt/wheels LANG=C.UTF-8' 'CMD ["/bin/bash"]' \
        >"$WORK/base/Containerfile"
    log "building the local base $2"
    buildah "${STORE[@]}" bud --quiet --isolation chroot --pull-never --layers=false \
        -t "$2" -f "$WORK/base/Containerfile" "$WORK/base" >/dev/null
}
base_image "$ROOTFS" localhost/syncd-base:bookworm
base_image "$BUILDER_ROOTFS" localhost/syncd-build:bookworm

# 4. The image, from the repository's Dockerfile as it is.
log "building deploy/Dockerfile on the local base"
buildah "${STORE[@]}" bud --isolation chroot --pull-never --layers=false \
    --build-arg BASE=localhost/syncd-base:bookworm --build-arg BUILDER_BASE=localhost/syncd-build:bookworm \
    -t localhost/syncd:ci -f deploy/Dockerfile . \
    >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }

# 5. Smoke test: the version and a full demo cycle, as the image's user in its working directory.
container="$(buildah "${STORE[@]}" from --pull-never localhost/syncd:ci)"
in_image() { buildah "${STORE[@]}" run --isolation chroot "$container" -- "$@"; }
log "syncd --version in the image"
in_image syncd --version
in_image test ! -e /usr/bin/gcc || { echo "the image carries the builder's compiler" >&2; exit 1; }
in_image python -c "from syncd.bankfiles.camt_tree import compiled_reader as c; assert c(), 'no compiled camt reader'"
log "syncd demo in the image"
in_image syncd demo >"$WORK/demo.log" 2>&1 || { tail -40 "$WORK/demo.log"; exit 1; }
grep -E "requests of the .* a company may make a month" "$WORK/demo.log"
log "image OK"
