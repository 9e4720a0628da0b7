# lib.sh - helpers for the end-to-end tests: TAP-like "ok - ", "not ok - ",
# "skip - " lines, temporary directories, and the tshark / mmdblookup oracles.
set -u
: "${ROOT:?run through tests/run.sh}" "${DS:?}" "${B:?}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ds-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
SHARED=${SHARED:-$ROOT/../shared}
REAL=$SHARED/data/real
GEO=$ROOT/var/geo/country.mmdb
# the darkscope that writes the scripts' input captures: scripts/test.sh has
# the sanitizer runs take the gcc build's, since what they test is what reads
# them (synth.sh tests synth itself, with $DS)
SYNTH=${SYNTH:-$DS}
FIX=$TMP/fixtures

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
skip() { echo "skip - $*"; }

# check NAME: passes when the command succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

not() { ! "$@"; }

# same NAME FILE_A FILE_B: the two files are identical (diff shown if not).
same() {
  if cmp -s "$2" "$3"; then ok "$1"; else notok "$1"; diff "$2" "$3" | head -20 | cut -c1-200 | sed 's/^/#   /'; fi
}

fixtures() {
  mkdir -p "$FIX" && "$ROOT/$B/tests/mkfixtures" "$FIX" && [ -s "$FIX/multi.pcapng" ] ||
    { notok "$(basename "$0"): cannot write the fixtures"; exit 0; }
}

have_real() { [ -d "$REAL" ]; }

# tshark's view of a capture as "key count" lines, keys as darkscope names
# them: 23/tcp, 8/icmp, 128/icmpv6, frag/udp, gre, non-ip, malformed.
tshark_ports() {
  tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -E occurrence=f \
    -E separator=/t -e frame.protocols -e ip.proto -e ip.frag_offset -e ipv6.nxt \
    -e ipv6.fraghdr.offset -e ipv6.fraghdr.nxt -e tcp.dstport -e udp.dstport \
    -e icmp.type -e icmpv6.type -e sctp.dstport -e ip.dst 2>/dev/null | awk -F'\t' '
  function pname(p) { return p==1?"icmp":p==6?"tcp":p==17?"udp":p==47?"gre":p==58?"icmpv6":p==132?"sctp":p==50?"esp":p==51?"ah":p==2?"igmp":p==41?"ipv6":"proto-" p }
  function port(p, tcp, udp, sctp, icmp, icmp6) {
    if (p==6) return tcp!="" ? tcp "/tcp" : "tcp"
    if (p==17) return udp!="" ? udp "/udp" : "udp"
    if (p==132) return sctp!="" ? sctp "/sctp" : "sctp"
    if (p==1) return icmp!="" ? icmp "/icmp" : "icmp"
    if (p==58) return icmp6!="" ? icmp6 "/icmpv6" : "icmpv6"
    return pname(p)
  }
  {
    protos=$1; k=""
    if (protos ~ /(^|:)ip(:|$)/) {
      if ($2=="" || $12=="") k="malformed"   # no protocol or no destination
      else if ($3+0 > 0) k="frag/" pname($2)
      else k=port($2, $7, $8, $11, $9, $10)
    } else if (protos ~ /(^|:)ipv6(:|$)/) {
      if ($5+0 > 0) k="frag/" pname($6)
      else if ($10!="") k=$10 "/icmpv6"
      else if ($7!="") k=$7 "/tcp"
      else if ($8!="") k=$8 "/udp"
      else if ($11!="") k=$11 "/sctp"
      else if ($6!="") k=pname($6)
      else k=pname($4)
    } else k="non-ip"
    n[k]++
  }
  END { for (k in n) print k, n[k] }' | sort
}

# darkscope's view: "key count" for every port key in the store at $1.
ds_ports() {
  "$DS" top ports --db "$1" -n 100000 --format json "${@:2}" | jq -r '.rows[] | "\(.key) \(.packets)"' | sort
}

# Number of frames tshark reads.
tshark_frames() { tshark -r "$1" -T fields -e frame.number 2>/dev/null | wc -l; }
