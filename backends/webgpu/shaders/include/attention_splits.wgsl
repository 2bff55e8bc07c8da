// The split pass of decode attention (flash-decoding), shared by attention_split.wgsl and
// attention_decode_step.wgsl. One workgroup per (query row, split); a split is P.per consecutive chunks of WG key
// slots, taken in turn with an online softmax. Per chunk, each invocation scores one key (key_score, q pre-scaled,
// in f32), the workgroup takes the chunk's max and Σ exp(s − m) and rescales its running (m, l, o); then every
// invocation sums a column of VW value elements (load_v: one vec4 load) over its share of the chunk's keys — the
// WG invocations are VCOLS columns × VGROUPS slot groups, so a chunk of 256 slots with 64-wide values is 16 serial
// loads per invocation instead of 256 — and the groups' sums are added up in workgroup memory once, at the end.
// DIRECT (one split covers every key): out = o / l at dst[out_at ..], zeros when no key was visible (out_at: where
// the query row's output begins, row · DV but where the including shader's output interleaves other columns, e.g.
// AttentionDecodeStep's prefix). Otherwise the split's partial
// (m, l, o[DV]) goes to dst at (row · splits + split) · (DV + 2) and attention_combine.wgsl merges the splits
// (m = −inf, l = 0, o = 0 where no key of the split was visible).
// Key j of row b is visible iff j < last and (no seq ids or kseq[b, j] = doc). The including shader defines
// key_score(b, g, j) -> f32 (its scaled query · key j of KV head g: cached_score or its own) and
// fresh_value(col) -> vec4<f32> (column col of the value of slot `fresh`, which the pass never reads from vs; a
// shader without one passes fresh = S), and the header VW and load_v(first element) -> vec4<f32>; it needs
// row_reduce.wgsl.
const VCOLS: u32 = (DV + VW - 1u) / VW;
const VGROUPS: u32 = max(WG / VCOLS, 1u);
// Slots each group sums per chunk (the last group's share may run past the chunk: weight 0 there).
const PER_GROUP: u32 = (WG + VGROUPS - 1u) / VGROUPS;
var<workgroup> pw: array<f32, WG>;
var<workgroup> vsum: array<vec4<f32>, WG>;

// Key j of KV head g of row b from the cache, dotted with the scaled query (q_dot_k, from the header).
fn cached_score(b: u32, g: u32, j: u32) -> f32 {
  return q_dot_k(((b * P.sk + j) * P.hkv + g) * DH);
}

fn attend_split(row: u32, flat: u32, split: u32, b: u32, g: u32, last: u32, doc: i32, fresh: u32, out_at: u32,
                lid: u32) {
  let S = P.sk;
  let vstride = P.hkv * DV;
  let vrow = (b * S * P.hkv + g) * DV;
  let col = lid % VCOLS;
  let grp = lid / VCOLS;
  let summing = grp < VGROUPS;
  var m = -inf_f32();
  var l = 0.0;
  var o = vec4<f32>(0.0);
  let c1 = min((split + 1u) * P.per, (S + WG - 1u) / WG);
  for (var c = split * P.per; c < c1; c = c + 1u) {
    let j0 = c * WG;
    let j = j0 + lid;
    var visible = j < last;
    if (visible && P.has_seq != 0u) {
      visible = kseq[b * S + j] == doc;
    }
    var score = -inf_f32();
    if (visible) {
      score = key_score(b, g, j);
    }
    let mn = max_nan(m, reduce_max(score, lid));
    var p = 0.0;
    if (visible) {
      p = exp(score - mn);
    }
    pw[lid] = p;
    let lc = reduce_sum(p, lid);
    // A chunk with no visible key changes nothing (and would make exp(−inf − (−inf))).
    if (lc != 0.0) {
      let corr = select(exp(m - mn), 0.0, l == 0.0);
      l = l * corr + lc;
      m = mn;
      var acc = vec4<f32>(0.0);
      if (summing) {
        // A constant trip count with selects, no branches, lets the compiler keep the loads in flight; slots past
        // S re-read slot S − 1 with weight 0. A masked key's value (and the fresh slot's, being written) is
        // skipped, not multiplied by 0: it may hold anything.
        for (var i = 0u; i < PER_GROUP; i = i + 1u) {
          let t = min(grp + i * VGROUPS, WG - 1u);
          let pt = select(0.0, pw[t], grp + i * VGROUPS < WG);
          let jt = min(j0 + t, S - 1u);
          let v = load_v(vrow + jt * vstride + col * VW);
          acc = acc + select(vec4<f32>(0.0), pt * v, pt != 0.0 && jt != fresh);
        }
        if (grp == 0u && fresh >= j0 && fresh < j0 + WG) {
          let pf = pw[fresh - j0];
          if (pf != 0.0) {
            acc = acc + pf * fresh_value(col);
          }
        }
      }
      o = o * corr + acc;
    }
  }
  vsum[lid] = o;
  workgroupBarrier();
  let inv = select(1.0 / l, 0.0, l == 0.0);
  let pbase = flat * (DV + 2u);
  for (var d = lid; d < DV; d = d + WG) {
    var s = 0.0;
    for (var gi = 0u; gi < VGROUPS; gi = gi + 1u) {
      s = s + vsum[gi * VCOLS + d / VW][d % VW];
    }
    if (DIRECT) {
      dst[out_at + d] = DT(s * inv);
    } else {
      dst[pbase + 2u + d] = DT(s);
    }
  }
  if (!DIRECT && lid == 0u) {
    dst[pbase] = DT(m);
    dst[pbase + 1u] = DT(l);
  }
}
