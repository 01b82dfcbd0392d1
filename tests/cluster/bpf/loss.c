// Packet loss for the cluster tests where the kernel has no netem qdisc: a tc classifier in
// direct-action mode that drops LOSS_PERCENT of a link's packets at random. Built by
// tests/cluster/lib.sh with `clang -target bpf` and attached to a clsact qdisc.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

static unsigned int (*prandom_u32)(void) = (void*)BPF_FUNC_get_prandom_u32;

__attribute__((section("tc"), used)) int drop_some(struct __sk_buff* skb) {
  (void)skb;
  return prandom_u32() % 100 < LOSS_PERCENT ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
