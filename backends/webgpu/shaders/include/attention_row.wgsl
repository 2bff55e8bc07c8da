// A query row of the attention shaders: row = (b·T + i)·Hq + h of q [B, T, Hq, Dh], its KV head g = h / (Hq/Hkv),
// the end of its visible keys (CAUSAL: j ≤ i + S − T, i.e. j < last) and its document (0 without seq ids).
struct QueryRow {
  b: u32,
  i: u32,
  h: u32,
  g: u32,
  last: u32,
  doc: i32,
}

fn query_row(row: u32) -> QueryRow {
  let T = P.tq;
  let S = P.sk;
  let h = row % P.hq;
  let i = (row / P.hq) % T;
  let b = row / (P.hq * T);
  var last = S;
  if (CAUSAL) {
    last = u32(clamp(i32(i) + i32(S) - i32(T) + 1, 0, i32(S)));
  }
  var doc = 0;
  if (P.has_seq != 0u) {
    doc = qseq[b * T + i];
  }
  return QueryRow(b, i, h, h / (P.hq / P.hkv), last, doc);
}
