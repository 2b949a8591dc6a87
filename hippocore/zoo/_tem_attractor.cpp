// TEM's attractor retrieval, one environment at a time (hippocore/zoo/_tem_kernel.py).
//
// One query, with h_0 = f_p(query):
//   z_k = kappa h_k[:c_k] + (scale (h_k M)[:c_k] + low-rank_k)          (k = 0 .. K-1)
//   h_{k+1}[:c_k] = f_p(z_k),  h_{k+1}[c_k:] = h_k[c_k:]
// with f_p(z) = leaky_relu(clip(z, -1, 1), 0.01), c_k the units still updating at
// iteration k, and low-rank_k[j] = sum_s w_s (h_k . b_s over rows i >= start[grp(j)])
// a_s[j]: the chunk's memories not yet folded into M. Unit j of group f hears units
// from start[f] on (one group, start 0, for an all-to-all memory); entries M[i, j] with
// i < start[grp(j)] are zero (TEM's hierarchical mask) and are not read. At k = 0,
// h_0 M may be given ("first").
//
// All iterations for one environment run while its matrix is in cache, so the matrix
// comes from main memory once per call instead of once per iteration. The generative
// scan runs a whole chunk of one environment (the memories of step t are written from
// step t's retrieval) in one call; its two queries per step (from g and from the
// path-integrated g) iterate in lockstep, so each iteration reads the matrix once for both.
// Backward passes walk the iterations back with the stored z_k and h_k.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

struct Shape {
  int64_t n, K, G;
  const int64_t* cols;   // (K,) units updating at iteration k
  const int64_t* start;  // (G + 1,) first unit of each group
  const int64_t* group;  // (n,) group of each unit
  double kappa;
};

template <typename T>
inline T fp(T z) {
  T c = z < T(-1) ? T(-1) : (z > T(1) ? T(1) : z);
  return c > T(0) ? c : c * T(0.01);
}

template <typename T>
inline T dfp(T z) {  // torch's clamp passes the gradient on [-1, 1]; leaky_relu on c > 0
  if (!(z >= T(-1) && z <= T(1))) return T(0);
  return z > T(0) ? T(1) : T(0.01);
}

template <typename T>
inline void axpy(int64_t n, T alpha, const T* x, T* y) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) y[j] += alpha * x[j];
}

template <typename T>
inline T dot(int64_t n, const T* x, const T* y) {
  T s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; ++j) s += x[j] * y[j];
  return s;
}

// Columns < nc that row i of M reaches (entries beyond are zero).
inline int64_t reach(const Shape& s, int64_t i, int64_t nc) {
  const int64_t end = s.start[s.group[i] + 1];
  return end < nc ? end : nc;
}

// out[:nc] = h M[:, :nc], adding four rows at a time into out (which stays in L1): each
// matrix element is loaded once, out once per four rows.
template <typename T>
void vec_mat(const Shape& s, int64_t nc, const T* h, const T* M, T* out) {
  const int64_t n = s.n;
  for (int64_t j = 0; j < nc; ++j) out[j] = 0;
  int64_t i = 0;
  while (i < n) {
    const int64_t len = reach(s, i, nc);
    if (i + 4 <= n && s.group[i] == s.group[i + 3]) {  // four rows of one group
      const T h0 = h[i], h1 = h[i + 1], h2 = h[i + 2], h3 = h[i + 3];
      const T *r0 = M + i * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
#pragma omp simd
      for (int64_t j = 0; j < len; ++j)
        out[j] += h0 * r0[j] + h1 * r1[j] + h2 * r2[j] + h3 * r3[j];
      i += 4;
    } else {
      axpy(len, h[i], M + i * n, out);
      i += 1;
    }
  }
}

// vec_mat for two vectors at once (out = h M, out2 = h2 M): each matrix element is loaded
// (Written out rather than one product over a vector count: measured slower; tem-speed.md.)
// once for both, and each output gets the same sums in the same order as vec_mat's.
template <typename T>
void vec_mat2(const Shape& s, int64_t nc, const T* h, const T* h2, const T* M, T* out, T* out2) {
  const int64_t n = s.n;
  for (int64_t j = 0; j < nc; ++j) out[j] = 0, out2[j] = 0;
  int64_t i = 0;
  while (i < n) {
    const int64_t len = reach(s, i, nc);
    if (i + 4 <= n && s.group[i] == s.group[i + 3]) {
      const T h0 = h[i], h1 = h[i + 1], h2_ = h[i + 2], h3 = h[i + 3];
      const T u0 = h2[i], u1 = h2[i + 1], u2 = h2[i + 2], u3 = h2[i + 3];
      const T *r0 = M + i * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
#pragma omp simd
      for (int64_t j = 0; j < len; ++j) {
        out[j] += h0 * r0[j] + h1 * r1[j] + h2_ * r2[j] + h3 * r3[j];
        out2[j] += u0 * r0[j] + u1 * r1[j] + u2 * r2[j] + u3 * r3[j];
      }
      i += 4;
    } else {
      axpy(len, h[i], M + i * n, out);
      axpy(len, h2[i], M + i * n, out2);
      i += 1;
    }
  }
}

// out[i] += scale * (M[i, :] . g) over the columns < nc that row i reaches; four rows
// at a time (four independent sums keep the vector units busy).
template <typename T>
void mat_vec_add(const Shape& s, int64_t nc, T scale, const T* M, const T* g, T* out) {
  const int64_t n = s.n;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int64_t len = reach(s, i + 3, nc);  // rows i..i+3: the longest; zeros beyond the others
    const T *r0 = M + i * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int64_t j = 0; j < len; ++j) {
      s0 += r0[j] * g[j];
      s1 += r1[j] * g[j];
      s2 += r2[j] * g[j];
      s3 += r3[j] * g[j];
    }
    out[i] += scale * s0;
    out[i + 1] += scale * s1;
    out[i + 2] += scale * s2;
    out[i + 3] += scale * s3;
  }
  for (; i < n; ++i) out[i] += scale * dot(reach(s, i, nc), M + i * n, g);
}

// mat_vec_add for two vectors at once (M read once for both).
template <typename T>
void mat_vec_add2(const Shape& s, int64_t nc, T scale, const T* M, const T* g, const T* g2,
                  T* out, T* out2) {
  const int64_t n = s.n;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int64_t len = reach(s, i + 3, nc);
    const T *r0 = M + i * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3, t0, t1, t2, t3)
    for (int64_t j = 0; j < len; ++j) {
      s0 += r0[j] * g[j];
      s1 += r1[j] * g[j];
      s2 += r2[j] * g[j];
      s3 += r3[j] * g[j];
      t0 += r0[j] * g2[j];
      t1 += r1[j] * g2[j];
      t2 += r2[j] * g2[j];
      t3 += r3[j] * g2[j];
    }
    out[i] += scale * s0, out[i + 1] += scale * s1;
    out[i + 2] += scale * s2, out[i + 3] += scale * s3;
    out2[i] += scale * t0, out2[i + 1] += scale * t1;
    out2[i + 2] += scale * t2, out2[i + 3] += scale * t3;
  }
  for (; i < n; ++i) {
    const int64_t len = reach(s, i, nc);
    out[i] += scale * dot(len, M + i * n, g);
    out2[i] += scale * dot(len, M + i * n, g2);
  }
}

// c[f] = w * sum_{i >= start[f]} h[i] b[i] for every group f.
template <typename T>
void suffix_scores(const Shape& s, T w, const T* h, const T* b, T* c) {
  T acc = 0;
  for (int64_t f = s.G - 1; f >= 0; --f) {
    acc += dot(s.start[f + 1] - s.start[f], h + s.start[f], b + s.start[f]);
    c[f] = w * acc;
  }
}

// Iteration k of one query's retrieval once old = (h_k M)[:nc] is known: adds the chunk's
// memories (lr, c: scratch) and writes z_k and h_{k+1}.
template <typename T>
void iterate(const Shape& s, int64_t nc, const T* h, const T* old, T scale, const T* a,
             const T* b, const T* w, int64_t S, T* lr, T* c, T* z, T* h_next) {
  const int64_t n = s.n;
  for (int64_t j = 0; j < nc; ++j) lr[j] = 0;
  for (int64_t m = 0; m < S; ++m) {
    if (w[m] == T(0)) continue;  // not yet written: adds exactly zero
    suffix_scores(s, w[m], h, b + m * n, c);
    for (int64_t f = 0; f < s.G && s.start[f] < nc; ++f) {
      const int64_t hi = s.start[f + 1] < nc ? s.start[f + 1] : nc;
      axpy(hi - s.start[f], c[f], a + m * n + s.start[f], lr + s.start[f]);
    }
  }
  const T kappa = T(s.kappa);
  for (int64_t j = 0; j < nc; ++j) {
    z[j] = kappa * h[j] + (scale * old[j] + lr[j]);
    h_next[j] = fp(z[j]);
  }
  for (int64_t j = nc; j < n; ++j) h_next[j] = h[j];
}

// One query's retrieval. hs: (K + 1, n), zs: (K, n); a, b: (S, n), w: (S,).
template <typename T>
void attract(const Shape& s, const T* query, const T* first, const T* M, T scale, const T* a,
             const T* b, const T* w, int64_t S, T* hs, T* zs) {
  const int64_t n = s.n;
  std::vector<T> old(n), lr(n), c(s.G);
  for (int64_t j = 0; j < n; ++j) hs[j] = fp(query[j]);
  for (int64_t k = 0; k < s.K; ++k) {
    const int64_t nc = s.cols[k];
    const T* h = hs + k * n;
    if (k == 0 && first) {
      for (int64_t j = 0; j < nc; ++j) old[j] = first[j];
    } else {
      vec_mat(s, nc, h, M, old.data());
    }
    iterate(s, nc, h, old.data(), scale, a, b, w, S, lr.data(), c.data(), zs + k * n,
            hs + (k + 1) * n);
  }
}

// Two queries of the same matrix and memories (both with h_0 M given), in lockstep: each
// iteration reads M once for both. Each result equals attract's.
template <typename T>
void attract2(const Shape& s, const T* q1, const T* f1, const T* q2, const T* f2, const T* M,
              T scale, const T* a, const T* b, const T* w, int64_t S, T* hs1, T* zs1, T* hs2,
              T* zs2) {
  const int64_t n = s.n;
  std::vector<T> old1(n), old2(n), lr(n), c(s.G);
  for (int64_t j = 0; j < n; ++j) hs1[j] = fp(q1[j]), hs2[j] = fp(q2[j]);
  for (int64_t k = 0; k < s.K; ++k) {
    const int64_t nc = s.cols[k];
    const T *h1 = hs1 + k * n, *h2 = hs2 + k * n;
    if (k == 0) {
      for (int64_t j = 0; j < nc; ++j) old1[j] = f1[j], old2[j] = f2[j];
    } else {
      vec_mat2(s, nc, h1, h2, M, old1.data(), old2.data());
    }
    iterate(s, nc, h1, old1.data(), scale, a, b, w, S, lr.data(), c.data(), zs1 + k * n,
            hs1 + (k + 1) * n);
    iterate(s, nc, h2, old2.data(), scale, a, b, w, S, lr.data(), c.data(), zs2 + k * n,
            hs2 + (k + 1) * n);
  }
}

// The backward of one query's retrieval, in three parts so that two queries can share the
// matrix product (attract_back2). The memories' part: with the forward's scores
// c_k[m, f] = w_m (h_k . b_m) over units >= start[f] and Gz_k (zero on units that did not
// update), d_k[m, f] = w_m sum_{f' <= f} (Gz_k . a_m) over group f': Gh_k += d_k[m, grp] b_m
// per iteration; g_a[m] += sum_k c_k[m, grp] Gz_k and g_b[m] += sum_k d_k[m, grp] h_k once
// at the end (each memory row read once for those).
template <typename T>
struct Back {
  std::vector<T> G, Gh, gz, cs, ds;
  Back(const Shape& s, int64_t S, const T* g_out)
      : G(g_out, g_out + s.n), Gh(s.n), gz(s.K * s.n), cs(s.K * S * s.G), ds(s.K * S * s.G) {}
};

// Iteration k, before the matrix product: Gz_k and the kappa part of Gh.
template <typename T>
T* back_open(const Shape& s, int64_t k, const T* zs, Back<T>& st) {
  const int64_t n = s.n, nc = s.cols[k];
  const T* z = zs + k * n;
  T* Gz = st.gz.data() + k * n;
  for (int64_t j = 0; j < nc; ++j) {
    Gz[j] = st.G[j] * dfp(z[j]);
    st.Gh[j] = T(s.kappa) * Gz[j];
  }
  for (int64_t j = nc; j < n; ++j) Gz[j] = 0, st.Gh[j] = st.G[j];
  return Gz;
}

// Iteration k, after the matrix product: the memories' part, then G = Gh.
template <typename T>
void back_close(const Shape& s, int64_t k, const T* hs, const T* a, const T* b, const T* w,
                int64_t S, Back<T>& st) {
  const int64_t n = s.n, NG = s.G;
  const T* h = hs + k * n;
  const T* Gz = st.gz.data() + k * n;
  for (int64_t m = 0; m < S; ++m) {
    if (w[m] == T(0)) continue;
    const T *am = a + m * n, *bm = b + m * n;
    T *c = st.cs.data() + (k * S + m) * NG, *d = st.ds.data() + (k * S + m) * NG;
    for (int64_t f = 0; f < NG; ++f) {
      T hb = 0, ga = 0;
#pragma omp simd reduction(+ : hb, ga)
      for (int64_t j = s.start[f]; j < s.start[f + 1]; ++j) {
        hb += h[j] * bm[j];
        ga += Gz[j] * am[j];
      }
      c[f] = hb, d[f] = ga;
    }
    T acc = 0;
    for (int64_t f = NG - 1; f >= 0; --f) acc += c[f], c[f] = w[m] * acc;
    acc = 0;
    for (int64_t f = 0; f < NG; ++f) acc += d[f], d[f] = w[m] * acc;
    for (int64_t f = 0; f < NG; ++f)
      axpy(s.start[f + 1] - s.start[f], d[f], bm + s.start[f], st.Gh.data() + s.start[f]);
  }
  st.G.swap(st.Gh);
}

// After the last iteration: the query's gradient and the memories' (added into g_a, g_b).
template <typename T>
void back_finish(const Shape& s, const T* query, const T* hs, const T* w, int64_t S,
                 const Back<T>& st, T* g_query, T* g_a, T* g_b) {
  const int64_t n = s.n, K = s.K, NG = s.G;
  for (int64_t j = 0; j < n; ++j) g_query[j] = st.G[j] * dfp(query[j]);
  for (int64_t m = 0; m < S; ++m) {
    if (w[m] == T(0)) continue;
    T *ga = g_a + m * n, *gb = g_b + m * n;
    for (int64_t f = 0; f < NG; ++f)
      for (int64_t k = 0; k < K; ++k) {
        const T ck = st.cs[(k * S + m) * NG + f], dk = st.ds[(k * S + m) * NG + f];
        const T *Gz = st.gz.data() + k * n, *h = hs + k * n;
#pragma omp simd
        for (int64_t j = s.start[f]; j < s.start[f + 1]; ++j) {
          ga[j] += ck * Gz[j];
          gb[j] += dk * h[j];
        }
      }
  }
}

// Backward of attract for the gradient g_out on h_K; adds into g_a and g_b, writes
// g_query and (if first was given) g_first.
template <typename T>
void attract_back(const Shape& s, const T* query, bool has_first, const T* M, T scale,
                  const T* a, const T* b, const T* w, int64_t S, const T* hs, const T* zs,
                  const T* g_out, T* g_query, T* g_first, T* g_a, T* g_b) {
  Back<T> st(s, S, g_out);
  for (int64_t k = s.K - 1; k >= 0; --k) {
    const T* Gz = back_open(s, k, zs, st);
    if (k == 0 && has_first) {
      for (int64_t j = 0; j < s.n; ++j) g_first[j] = scale * Gz[j];
    } else {
      mat_vec_add(s, s.cols[k], scale, M, Gz, st.Gh.data());
    }
    back_close(s, k, hs, a, b, w, S, st);
  }
  back_finish(s, query, hs, w, S, st, g_query, g_a, g_b);
}

// Backward of attract2 (both with first given): attract_back of query 1, then of query 2,
// reading M once per iteration for both; g_a and g_b receive query 1's part first.
template <typename T>
void attract_back2(const Shape& s, const T* q1, const T* q2, const T* M, T scale, const T* a,
                   const T* b, const T* w, int64_t S, const T* hs1, const T* zs1,
                   const T* hs2, const T* zs2, const T* g_out1, const T* g_out2, T* g_q1,
                   T* g_f1, T* g_q2, T* g_f2, T* g_a, T* g_b) {
  Back<T> st1(s, S, g_out1), st2(s, S, g_out2);
  for (int64_t k = s.K - 1; k >= 0; --k) {
    const T* Gz1 = back_open(s, k, zs1, st1);
    const T* Gz2 = back_open(s, k, zs2, st2);
    if (k == 0) {
      for (int64_t j = 0; j < s.n; ++j) g_f1[j] = scale * Gz1[j], g_f2[j] = scale * Gz2[j];
    } else {
      mat_vec_add2(s, s.cols[k], scale, M, Gz1, Gz2, st1.Gh.data(), st2.Gh.data());
    }
    back_close(s, k, hs1, a, b, w, S, st1);
    back_close(s, k, hs2, a, b, w, S, st2);
  }
  back_finish(s, q1, hs1, w, S, st1, g_q1, g_a, g_b);
  back_finish(s, q2, hs2, w, S, st2, g_q2, g_a, g_b);
}

// Independent queries: query (B, Q, n), M (B, n, n), scale (Q,), a, b (B, S, n), w (Q, S),
// first (B, Q, n) or null; hs (B, Q, K + 1, n), zs (B, Q, K, n).
template <typename T>
void batch_forward(const Shape& s, int64_t B, int64_t Q, int64_t S, const T* query, const T* M,
                   const T* scale, const T* a, const T* b, const T* w, const T* first, T* hs,
                   T* zs) {
  const int64_t n = s.n, K = s.K;
  for (int64_t e = 0; e < B; ++e)
    for (int64_t q = 0; q < Q; ++q) {
      const int64_t eq = e * Q + q;
      attract(s, query + eq * n, first ? first + eq * n : nullptr, M + e * n * n, scale[q],
              a + e * S * n, b + e * S * n, w + q * S, S, hs + eq * (K + 1) * n,
              zs + eq * K * n);
    }
}

template <typename T>
void batch_backward(const Shape& s, int64_t B, int64_t Q, int64_t S, const T* query,
                    const T* M, const T* scale, const T* a, const T* b, const T* w,
                    bool has_first, const T* hs, const T* zs, const T* g_out, T* g_query,
                    T* g_first, T* g_a, T* g_b) {
  const int64_t n = s.n, K = s.K;
  for (int64_t e = 0; e < B; ++e)
    for (int64_t q = 0; q < Q; ++q) {
      const int64_t eq = e * Q + q;
      attract_back(s, query + eq * n, has_first, M + e * n * n, scale[q], a + e * S * n,
                   b + e * S * n, w + q * S, S, hs + eq * (K + 1) * n, zs + eq * K * n,
                   g_out + eq * n, g_query + eq * n, has_first ? g_first + eq * n : nullptr,
                   g_a + e * S * n, g_b + e * S * n);
    }
}

// The generative pass of a chunk, per environment. For t = 0 .. T-1, with the memories
// a_s = p_s - pg_s, b_s = p_s + pg_s (s < t) weighted w[t, s]:
//   pg_t  = attract(qg_t, fg_t),  pgt_t = attract(qgt_t, fgt_t).
// Inputs (B, T, n): qg, fg, qgt, fgt, p; M (B, n, n); scale (T,); w (T, T).
// Outputs: mem_a, mem_b (B, T, n); hs (B, 2, T, K + 1, n), zs (B, 2, T, K, n) (the
// results are hs[:, :, :, K]).
template <typename T>
void scan_forward(const Shape& s, int64_t B, int64_t Tn, const T* qg, const T* fg,
                  const T* qgt, const T* fgt, const T* p, const T* M, const T* scale,
                  const T* w, T* mem_a, T* mem_b, T* hs, T* zs) {
  const int64_t n = s.n, K = s.K, hsz = (K + 1) * n, zsz = K * n;
  for (int64_t e = 0; e < B; ++e) {
    const T* Me = M + e * n * n;
    T *A = mem_a + e * Tn * n, *Bm = mem_b + e * Tn * n;
    T *hs_g = hs + e * 2 * Tn * hsz, *hs_gt = hs_g + Tn * hsz;
    T *zs_g = zs + e * 2 * Tn * zsz, *zs_gt = zs_g + Tn * zsz;
    for (int64_t t = 0; t < Tn; ++t) {
      const int64_t et = (e * Tn + t) * n;
      attract2(s, qg + et, fg + et, qgt + et, fgt + et, Me, scale[t], A, Bm, w + t * Tn, t,
               hs_g + t * hsz, zs_g + t * zsz, hs_gt + t * hsz, zs_gt + t * zsz);
      const T* pg = hs_g + t * hsz + K * n;
      for (int64_t j = 0; j < n; ++j) {
        A[t * n + j] = p[et + j] - pg[j];
        Bm[t * n + j] = p[et + j] + pg[j];
      }
    }
  }
}

// Gradients of scan_forward's pg, pgt (g_pg, g_pgt: (B, T, n)) to its inputs.
template <typename T>
void scan_backward(const Shape& s, int64_t B, int64_t Tn, const T* qg, const T* qgt,
                   const T* M, const T* scale, const T* w, const T* mem_a, const T* mem_b,
                   const T* hs, const T* zs, const T* g_pg, const T* g_pgt, T* g_qg, T* g_fg,
                   T* g_qgt, T* g_fgt, T* g_p) {
  const int64_t n = s.n, K = s.K, hsz = (K + 1) * n, zsz = K * n;
  std::vector<T> gA(Tn * n), gB(Tn * n), gout(n);
  for (int64_t e = 0; e < B; ++e) {
    const T* Me = M + e * n * n;
    const T *A = mem_a + e * Tn * n, *Bm = mem_b + e * Tn * n;
    const T *hs_g = hs + e * 2 * Tn * hsz, *hs_gt = hs_g + Tn * hsz;
    const T *zs_g = zs + e * 2 * Tn * zsz, *zs_gt = zs_g + Tn * zsz;
    for (auto& v : gA) v = 0;
    for (auto& v : gB) v = 0;
    for (int64_t t = Tn - 1; t >= 0; --t) {
      const int64_t et = (e * Tn + t) * n;
      // Memory t's gradients are complete here: step t's retrievals read memories < t only.
      for (int64_t j = 0; j < n; ++j) {  // a_t = p_t - pg_t, b_t = p_t + pg_t
        const T ga = gA[t * n + j], gb = gB[t * n + j];
        g_p[et + j] = ga + gb;
        gout[j] = g_pg[et + j] + (gb - ga);
      }
      attract_back2(s, qgt + et, qg + et, Me, scale[t], A, Bm, w + t * Tn, t, hs_gt + t * hsz,
                    zs_gt + t * zsz, hs_g + t * hsz, zs_g + t * zsz, g_pgt + et, gout.data(),
                    g_qgt + et, g_fgt + et, g_qg + et, g_fg + et, gA.data(), gB.data());
    }
  }
}

// The chunk's end (TF2 final_hebbian): out = clip(decay M + sum_t w_t b_t a_t^T, -limit,
// limit) with out[i, j] = decay M[i, j] where row i does not reach column j (the
// hierarchical mask). M, out (B, n, n); a, b (B, T, n); w (T,). One pass over the matrix.
template <typename T>
void fold(const Shape& s, int64_t B, int64_t Tn, const T* M, const T* a, const T* b,
          const T* w, T decay, T limit, T* out) {
  constexpr int64_t W = 64;  // columns per block, summed in registers over the T memories
  const int64_t n = s.n;
  std::vector<T> coef(Tn);
  for (int64_t e = 0; e < B; ++e)
    for (int64_t i = 0; i < n; ++i) {
      const T* Mi = M + (e * n + i) * n;
      const T* ae = a + e * Tn * n;
      T* oi = out + (e * n + i) * n;
      for (int64_t t = 0; t < Tn; ++t) coef[t] = w[t] * b[(e * Tn + t) * n + i];
      const int64_t len = reach(s, i, n);
      int64_t j0 = 0;
      for (; j0 + W <= len; j0 += W) {
        T acc[W];
#pragma omp simd
        for (int64_t j = 0; j < W; ++j) acc[j] = decay * Mi[j0 + j];
        for (int64_t t = 0; t < Tn; ++t) {
          const T c = coef[t];
          const T* at = ae + t * n + j0;
#pragma omp simd
          for (int64_t j = 0; j < W; ++j) acc[j] += c * at[j];
        }
#pragma omp simd
        for (int64_t j = 0; j < W; ++j)
          oi[j0 + j] = acc[j] < -limit ? -limit : (acc[j] > limit ? limit : acc[j]);
      }
      for (int64_t j = j0; j < n; ++j) oi[j] = decay * Mi[j];
      for (int64_t t = 0; t < Tn; ++t) axpy(len - j0, coef[t], ae + t * n + j0, oi + j0);
      for (int64_t j = j0; j < n; ++j)
        oi[j] = oi[j] < -limit ? -limit : (oi[j] > limit ? limit : oi[j]);
    }
}

// out[e, r] = sum of the rows i of M[e] with row_group[i] = r; M (B, n, n), out (B, R, n)
// zero on entry.
template <typename T>
void row_sums(const Shape& s, int64_t B, int64_t R, const int64_t* row_group, const T* M,
              T* out) {
  const int64_t n = s.n;
  for (int64_t e = 0; e < B; ++e)
    for (int64_t i = 0; i < n; ++i)
      axpy(n, T(1), M + (e * n + i) * n, out + (e * R + row_group[i]) * n);
}

Shape shape_of(const int64_t* dims, const int64_t* cols, const int64_t* start,
               const int64_t* group, double kappa) {
  return Shape{dims[0], dims[1], dims[2], cols, start, group, kappa};
}

}  // namespace

// C entry points (called through ctypes). layout = {n, K, G}; sizes = {B, Q or T, S};
// every array is contiguous; g_a, g_b and g_p must be zero on entry.
#define TEM_ENTRY(T, SFX)                                                                    \
  extern "C" void tem_batch_forward_##SFX(                                                  \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const T* query, const T* M, const T* scale,           \
      const T* a, const T* b, const T* w, const T* first, T* hs, T* zs) {                    \
    batch_forward(shape_of(layout, cols, start, group, kappa), sz[0], sz[1], sz[2], query, M, \
                  scale, a, b, w, first, hs, zs);                                            \
  }                                                                                          \
  extern "C" void tem_batch_backward_##SFX(                                                 \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const T* query, const T* M, const T* scale,           \
      const T* a, const T* b, const T* w, int has_first, const T* hs, const T* zs,           \
      const T* g_out, T* g_query, T* g_first, T* g_a, T* g_b) {                              \
    batch_backward(shape_of(layout, cols, start, group, kappa), sz[0], sz[1], sz[2], query,   \
                   M, scale, a, b, w, has_first != 0, hs, zs, g_out, g_query, g_first, g_a,  \
                   g_b);                                                                     \
  }                                                                                          \
  extern "C" void tem_scan_forward_##SFX(                                                   \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const T* qg, const T* fg, const T* qgt, const T* fgt, \
      const T* p, const T* M, const T* scale, const T* w, T* mem_a, T* mem_b, T* hs, T* zs) {  \
    scan_forward(shape_of(layout, cols, start, group, kappa), sz[0], sz[1], qg, fg, qgt, fgt, \
                 p, M, scale, w, mem_a, mem_b, hs, zs);                                      \
  }                                                                                          \
  extern "C" void tem_scan_backward_##SFX(                                                  \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const T* qg, const T* qgt, const T* M, const T* scale, \
      const T* w, const T* mem_a, const T* mem_b, const T* hs, const T* zs, const T* g_pg,   \
      const T* g_pgt, T* g_qg, T* g_fg, T* g_qgt, T* g_fgt, T* g_p) {                        \
    scan_backward(shape_of(layout, cols, start, group, kappa), sz[0], sz[1], qg, qgt, M,     \
                  scale, w, mem_a, mem_b, hs, zs, g_pg, g_pgt, g_qg, g_fg, g_qgt, g_fgt,     \
                  g_p);                                                                      \
  }

#define TEM_FOLD_ENTRY(T, SFX)                                                               \
  extern "C" void tem_fold_##SFX(                                                           \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const double* sc, const T* M, const T* a, const T* b, \
      const T* w, T* out) {                                                                  \
    fold(shape_of(layout, cols, start, group, kappa), sz[0], sz[1], M, a, b, w, T(sc[0]),    \
         T(sc[1]), out);                                                                     \
  }                                                                                          \
  extern "C" void tem_row_sums_##SFX(                                                       \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const int64_t* row_group, const T* M, T* out) {        \
    row_sums(shape_of(layout, cols, start, group, kappa), sz[0], sz[1], row_group, M, out);  \
  }

TEM_FOLD_ENTRY(float, f32)
TEM_FOLD_ENTRY(double, f64)
TEM_ENTRY(float, f32)
TEM_ENTRY(double, f64)
