// TEM's inference pass over a chunk, one environment at a time (hippocore/zoo/_tem_infer.py).
//
// The step loop of TEM._inference_pass, fused: for t = 0 .. T-1 and one environment,
//   u = g_prev + D[a_t] g_prev,  g_gen = clip(u, -1, 1)
//   sigma_gen = exp(ratio tanh(MLP_g(g_prev)) + offset)    (g_prev not differentiated)
//   (t = 0 in a fresh world: g_gen = prior_mu, sigma_gen = prior_sigma)
//   p_x = attract(x2p_t, first_t) over the inference matrix and the memories s < t
//   mu_raw = MLP_m(p_x averaged over the sensory units of each phase)
//   q = [|mu_raw|^2 of module f, 0.5 |x_t - softmax(read_out(p_x))|^2] per module (no grad)
//   sigma_mem = exp(ratio tanh(MLP_s(q)) + offset) + sigma_c
//   g = precision-weighted mean of g_gen (sigma_gen) and clip(mu_raw, -1, 1) (sigma_mem)
//   p = f_p(g[down] repeated * x2p_t); memories a_t = p - p_x, b_t = p + p_x.
// The environment's inference matrix stays in cache through the whole chunk. The MLPs'
// weights are dense (block-diagonal across modules, zeros included). Backward walks the
// steps back from stored intermediates, then sums the weights' gradients over all steps
// (reading only the entries the forward reads).
#include <cmath>

#include "_tem_attractor.cpp"

namespace {

// Pointers in the order _tem_infer.py lists them (ARRAYS there).
template <typename T>
struct Net {
  const int64_t *act, *obs, *reset, *down, *gmod;
  const int64_t *rD, *rg1, *rg2, *rm1, *rm2, *rs1, *rs2;  // nonzero columns of each row
  const T *D, *Wg1, *bg1, *Wg2, *bg2, *Wm1, *bm1, *Wm2, *bm2, *Ws1, *bs1, *Ws2, *bs2;
  const T *bx, *C1, *c1, *C2, *c2, *prior_mu, *prior_sigma;
  const T *g_start, *x2p, *first, *M, *scale, *w;
  T *g, *g_gen, *p, *px, *A, *Bm;
  T *u, *h1g, *a1g, *tg, *sg, *gd, *hm, *am, *mu_raw, *q, *hsd, *asd, *ts, *es, *sm, *hs, *zs;
  const T *Gg, *Ggg, *Gp, *Gpx;
  T *d_u, *d_gstart, *d_prior_mu, *d_prior_sigma, *d_yg, *d_h1g, *d_ym, *d_hm, *d_ys, *d_hs;
  T *d_x2p, *d_first;
  T *dD, *dWg1, *dbg1, *dWg2, *dbg2, *dWm1, *dbm1, *dWm2, *dbm2, *dWs1, *dbs1, *dWs2, *dbs2;
};

template <typename T>
Net<T> read_net(const int64_t* ptr, bool backward) {
  Net<T> net{};
  int64_t i = 0;
  auto L = [&]() { return reinterpret_cast<const int64_t*>(ptr[i++]); };
  auto C = [&]() { return reinterpret_cast<const T*>(ptr[i++]); };
  auto W = [&]() { return reinterpret_cast<T*>(ptr[i++]); };
  net.act = L(), net.obs = L(), net.reset = L(), net.down = L(), net.gmod = L();
  net.rD = L(), net.rg1 = L(), net.rg2 = L(), net.rm1 = L(), net.rm2 = L(), net.rs1 = L();
  net.rs2 = L();
  net.D = C(), net.Wg1 = C(), net.bg1 = C(), net.Wg2 = C(), net.bg2 = C();
  net.Wm1 = C(), net.bm1 = C(), net.Wm2 = C(), net.bm2 = C();
  net.Ws1 = C(), net.bs1 = C(), net.Ws2 = C(), net.bs2 = C();
  net.bx = C(), net.C1 = C(), net.c1 = C(), net.C2 = C(), net.c2 = C();
  net.prior_mu = C(), net.prior_sigma = C();
  net.g_start = C(), net.x2p = C(), net.first = C(), net.M = C(), net.scale = C(), net.w = C();
  net.g = W(), net.g_gen = W(), net.p = W(), net.px = W(), net.A = W(), net.Bm = W();
  net.u = W(), net.h1g = W(), net.a1g = W(), net.tg = W(), net.sg = W(), net.gd = W();
  net.hm = W(), net.am = W(), net.mu_raw = W(), net.q = W(), net.hsd = W(), net.asd = W();
  net.ts = W(), net.es = W(), net.sm = W(), net.hs = W(), net.zs = W();
  if (backward) {
    net.Gg = C(), net.Ggg = C(), net.Gp = C(), net.Gpx = C();
    net.d_u = W(), net.d_gstart = W(), net.d_prior_mu = W(), net.d_prior_sigma = W();
    net.d_yg = W(), net.d_h1g = W(), net.d_ym = W(), net.d_hm = W(), net.d_ys = W();
    net.d_hs = W(), net.d_x2p = W(), net.d_first = W();
    net.dD = W(), net.dWg1 = W(), net.dbg1 = W(), net.dWg2 = W(), net.dbg2 = W();
    net.dWm1 = W(), net.dbm1 = W(), net.dWm2 = W(), net.dbm2 = W();
    net.dWs1 = W(), net.dbs1 = W(), net.dWs2 = W(), net.dbs2 = W();
  }
  return net;
}

struct Dims {  // sizes = {B, T, n_g, Hg, n_ph, Hm, n_q, Hs, n_xc, f_lo, f_hi, n_x, Hr, n_mod}
  int64_t B, T, ng, Hg, nph, Hm, nq, Hs, nxc, flo, fhi, nx, Hr, nmod;
  double ratio, offset, sigma_c, w_x;
};

Dims read_dims(const int64_t* sz, const double* sc) {
  return Dims{sz[0], sz[1], sz[2], sz[3],  sz[4],  sz[5],  sz[6], sz[7],
              sz[8], sz[9], sz[10], sz[11], sz[12], sz[13], sc[0], sc[1], sc[2], sc[3]};
}

// out = x W + b; x (nin,), W (nin, nout) row-major, row i zero outside the columns
// [rg[2i], rg[2i + 1]) (null rg: dense). The MLPs' weights are block-diagonal across
// modules: only the blocks are read.
template <typename T>
void affine(int64_t nin, int64_t nout, const T* x, const T* W, const T* b, T* out,
            const int64_t* rg = nullptr) {
  for (int64_t o = 0; o < nout; ++o) out[o] = b[o];
  for (int64_t i = 0; i < nin; ++i) {
    const int64_t lo = rg ? rg[2 * i] : 0, hi = rg ? rg[2 * i + 1] : nout;
    axpy(hi - lo, x[i], W + i * nout + lo, out + lo);
  }
}

// dot(W[i, :], y) over row i's nonzero columns.
template <typename T>
inline T row_dot(int64_t nout, const T* W, const int64_t* rg, int64_t i, const T* y) {
  const int64_t lo = rg[2 * i];
  return dot(rg[2 * i + 1] - lo, W + i * nout + lo, y + lo);
}

template <typename T>
inline T elu(T x) {
  return x > T(0) ? x : std::expm1(x);
}

template <typename T>
inline T delu(T x) {
  return x > T(0) ? T(1) : std::exp(x);
}

// Hidden h = x W1 + b1, a = elu(h), y = a W2 + b2.
template <typename T>
void mlp(int64_t nin, int64_t nh, int64_t nout, const T* x, const T* W1, const T* b1,
         const T* W2, const T* b2, const int64_t* r1, const int64_t* r2, T* h, T* a, T* y) {
  affine(nin, nh, x, W1, b1, h, r1);
  for (int64_t j = 0; j < nh; ++j) a[j] = elu(h[j]);
  affine(nh, nout, a, W2, b2, y, r2);
}

// dh = (W2 dy) * elu'(h); W2 (nh, nout) with row ranges r2.
template <typename T>
void mlp_back(int64_t nh, int64_t nout, const T* W2, const int64_t* r2, const T* h, const T* dy,
              T* dh) {
  for (int64_t j = 0; j < nh; ++j) dh[j] = row_dot(nout, W2, r2, j, dy) * delu(h[j]);
}

// 0.5 |onehot(obs) - softmax(read_out(px))|^2 (TEM.read_out; not differentiated).
template <typename T>
T readout_error(const Dims& d, const Net<T>& net, const T* px, int64_t obs, T* xr, T* hr,
                T* lg) {
  for (int64_t s = 0; s < d.nxc; ++s) xr[s] = 0;
  for (int64_t i = d.flo; i < d.fhi; i += d.nxc) axpy(d.nxc, T(1), px + i, xr);
  for (int64_t s = 0; s < d.nxc; ++s) xr[s] = T(d.w_x) * xr[s] + net.bx[s];
  affine(d.nxc, d.Hr, xr, net.C1, net.c1, hr);
  for (int64_t j = 0; j < d.Hr; ++j) hr[j] = elu(hr[j]);
  affine(d.Hr, d.nx, hr, net.C2, net.c2, lg);
  T top = lg[0], total = 0, err = 0;
  for (int64_t c = 1; c < d.nx; ++c) top = lg[c] > top ? lg[c] : top;
  for (int64_t c = 0; c < d.nx; ++c) total += (lg[c] = std::exp(lg[c] - top));
  for (int64_t c = 0; c < d.nx; ++c) {
    const T diff = (c == obs ? T(1) : T(0)) - lg[c] / total;
    err += diff * diff;
  }
  return T(0.5) * err;
}

// Step t of environment e, forwards (see the file's head).
template <typename T>
void infer_step(const Shape& s, const Dims& d, const Net<T>& net, int64_t e, int64_t t,
                std::vector<T>& buf) {
  const int64_t n = s.n, ng = d.ng, et = e * d.T + t, K = s.K;
  const T* gp = t ? net.g + (et - 1) * ng : net.g_start + e * ng;
  const T* Da = net.D + net.act[et] * ng * ng;
  T *u = net.u + et * ng, *gg = net.g_gen + et * ng, *sg = net.sg + et * ng;
  T *tg = net.tg + et * ng, *mr = net.mu_raw + et * ng, *sm = net.sm + et * ng;
  T *es = net.es + et * ng, *ts = net.ts + et * ng, *g = net.g + et * ng;
  for (int64_t i = 0; i < ng; ++i) {
    u[i] = gp[i] + row_dot(ng, Da, net.rD, i, gp);
    gg[i] = u[i] < T(-1) ? T(-1) : (u[i] > T(1) ? T(1) : u[i]);
  }
  mlp(ng, d.Hg, ng, gp, net.Wg1, net.bg1, net.Wg2, net.bg2, net.rg1, net.rg2, net.h1g + et * d.Hg,
      net.a1g + et * d.Hg, tg);
  for (int64_t i = 0; i < ng; ++i) {
    tg[i] = std::tanh(tg[i]);
    sg[i] = std::exp(tg[i] * T(d.ratio) + T(d.offset));
  }
  if (t == 0 && net.reset[e])
    for (int64_t i = 0; i < ng; ++i) gg[i] = net.prior_mu[i], sg[i] = net.prior_sigma[i];
  // p_x: the attractor over the inference matrix and this chunk's memories s < t.
  T* hs = net.hs + et * (K + 1) * n;
  const T *A = net.A + e * d.T * n, *Bm = net.Bm + e * d.T * n;
  attract(s, net.x2p + et * n, net.first + et * n, net.M + e * n * n, net.scale[t], A, Bm,
          net.w + t * d.T, t, hs, net.zs + et * K * n);
  const T* px = hs + K * n;
  T* gd = net.gd + et * d.nph;
  for (int64_t k = 0; k < d.nph; ++k) {
    T acc = 0;
    for (int64_t c = 0; c < d.nxc; ++c) acc += px[k * d.nxc + c];
    gd[k] = acc / T(d.nxc);
  }
  mlp(d.nph, d.Hm, ng, gd, net.Wm1, net.bm1, net.Wm2, net.bm2, net.rm1, net.rm2, net.hm + et * d.Hm,
      net.am + et * d.Hm, mr);
  T* q = net.q + et * d.nq;
  T *xr = buf.data(), *hr = xr + d.nxc, *lg = hr + d.Hr;
  const T err = readout_error(d, net, px, net.obs[et], xr, hr, lg);
  for (int64_t f = 0; f < d.nmod; ++f) q[2 * f] = 0, q[2 * f + 1] = err;
  for (int64_t i = 0; i < ng; ++i) q[2 * net.gmod[i]] += mr[i] * mr[i];
  mlp(d.nq, d.Hs, ng, q, net.Ws1, net.bs1, net.Ws2, net.bs2, net.rs1, net.rs2, net.hsd + et * d.Hs,
      net.asd + et * d.Hs, ts);
  for (int64_t i = 0; i < ng; ++i) {
    ts[i] = std::tanh(ts[i]);
    es[i] = std::exp(ts[i] * T(d.ratio) + T(d.offset));
    sm[i] = es[i] + T(d.sigma_c);
    const T mu = mr[i] < T(-1) ? T(-1) : (mr[i] > T(1) ? T(1) : mr[i]);
    const T ig = T(1) / (sg[i] * sg[i]), im = T(1) / (sm[i] * sm[i]);
    g[i] = (gg[i] * ig + mu * im) / (ig + im);
  }
  T *p = net.p + et * n, *a = net.A + et * n, *b = net.Bm + et * n;
  const T* x2p = net.x2p + et * n;
  for (int64_t k = 0; k < d.nph; ++k) {
    const T gk = g[net.down[k]];
    for (int64_t c = 0; c < d.nxc; ++c) {
      const int64_t j = k * d.nxc + c;
      p[j] = fp(gk * x2p[j]);
      net.px[et * n + j] = px[j];
      a[j] = p[j] - px[j];
      b[j] = p[j] + px[j];
    }
  }
}

template <typename T>
void infer_forward(const Shape& s, const Dims& d, const Net<T>& net) {
  std::vector<T> buf(d.nxc + d.Hr + d.nx);
  for (int64_t e = 0; e < d.B; ++e)
    for (int64_t t = 0; t < d.T; ++t) infer_step(s, d, net, e, t, buf);
}

// Backward of step t of environment e. cg: gradient on g_t from later steps (in), on
// g_{t-1} (out); gA, gB (T, n): gradients on this environment's memories.
template <typename T>
void infer_step_back(const Shape& s, const Dims& d, const Net<T>& net, int64_t e, int64_t t,
                     T* cg, T* gA, T* gB, std::vector<T>& buf) {
  const int64_t n = s.n, ng = d.ng, et = e * d.T + t, K = s.K;
  T *Gp = buf.data(), *Gpx = Gp + n, *dgt = Gpx + n, *gq = dgt + ng, *dgd = gq + n;
  const T *g = net.g + et * ng, *gg = net.g_gen + et * ng, *sg = net.sg + et * ng;
  const T *sm = net.sm + et * ng, *mr = net.mu_raw + et * ng, *x2p = net.x2p + et * n;
  for (int64_t j = 0; j < n; ++j) {
    Gp[j] = net.Gp[et * n + j] + gA[t * n + j] + gB[t * n + j];
    Gpx[j] = net.Gpx[et * n + j] - gA[t * n + j] + gB[t * n + j];
  }
  for (int64_t i = 0; i < ng; ++i) dgt[i] = net.Gg[et * ng + i] + cg[i];
  T* d_x2p = net.d_x2p + et * n;
  for (int64_t k = 0; k < d.nph; ++k) {
    const T gk = g[net.down[k]];
    T acc = 0;
    for (int64_t c = 0; c < d.nxc; ++c) {
      const int64_t j = k * d.nxc + c;
      const T dz = Gp[j] * dfp(gk * x2p[j]);
      d_x2p[j] = dz * gk;
      acc += dz * x2p[j];
    }
    dgt[net.down[k]] += acc;
  }
  const bool prior = t == 0 && net.reset[e];
  T *du = net.d_u + et * ng, *dyg = net.d_yg + et * ng, *dym = net.d_ym + et * ng;
  T* dys = net.d_ys + et * ng;
  const T *tg = net.tg + et * ng, *ts = net.ts + et * ng, *es = net.es + et * ng;
  const T* u = net.u + et * ng;
  for (int64_t i = 0; i < ng; ++i) {
    const T ig = T(1) / (sg[i] * sg[i]), im = T(1) / (sm[i] * sm[i]), den = ig + im;
    const T mu = mr[i] < T(-1) ? T(-1) : (mr[i] > T(1) ? T(1) : mr[i]);
    const T dgen = net.Ggg[et * ng + i] + dgt[i] * ig / den;
    const T dsg = dgt[i] * (gg[i] - g[i]) / den * (T(-2) / (sg[i] * sg[i] * sg[i]));
    const T dsm = dgt[i] * (mu - g[i]) / den * (T(-2) / (sm[i] * sm[i] * sm[i]));
    const T dmu = dgt[i] * im / den;
    dym[i] = (mr[i] >= T(-1) && mr[i] <= T(1)) ? dmu : T(0);
    dys[i] = dsm * es[i] * T(d.ratio) * (T(1) - ts[i] * ts[i]);
    if (prior) {
      net.d_prior_mu[e * ng + i] = dgen, net.d_prior_sigma[e * ng + i] = dsg;
      du[i] = 0, dyg[i] = 0;
    } else {
      du[i] = (u[i] >= T(-1) && u[i] <= T(1)) ? dgen : T(0);
      dyg[i] = dsg * sg[i] * T(d.ratio) * (T(1) - tg[i] * tg[i]);
    }
  }
  // The gradient on g_{t-1} (through u = g + D g only: the sigma MLP's input is detached).
  const T* Da = net.D + net.act[et] * ng * ng;
  T* gprev = t ? cg : net.d_gstart + e * ng;
  for (int64_t j = 0; j < ng; ++j) gprev[j] = du[j];
  for (int64_t i = 0; i < ng; ++i) {
    const int64_t lo = net.rD[2 * i];
    axpy(net.rD[2 * i + 1] - lo, du[i], Da + i * ng + lo, gprev + lo);
  }
  mlp_back(d.Hg, ng, net.Wg2, net.rg2, net.h1g + et * d.Hg, dyg, net.d_h1g + et * d.Hg);
  mlp_back(d.Hs, ng, net.Ws2, net.rs2, net.hsd + et * d.Hs, dys, net.d_hs + et * d.Hs);
  T* dhm = net.d_hm + et * d.Hm;
  mlp_back(d.Hm, ng, net.Wm2, net.rm2, net.hm + et * d.Hm, dym, dhm);
  for (int64_t k = 0; k < d.nph; ++k) dgd[k] = row_dot(d.Hm, net.Wm1, net.rm1, k, dhm) / T(d.nxc);
  for (int64_t k = 0; k < d.nph; ++k)
    for (int64_t c = 0; c < d.nxc; ++c) Gpx[k * d.nxc + c] += dgd[k];
  attract_back(s, x2p, true, net.M + e * n * n, net.scale[t], net.A + e * d.T * n,
               net.Bm + e * d.T * n, net.w + t * d.T, t, net.hs + et * (K + 1) * n,
               net.zs + et * K * n, Gpx, gq, net.d_first + et * n, gA, gB);
  for (int64_t j = 0; j < n; ++j) d_x2p[j] += gq[j];
}

// dW[i, range_i] += x[i] dy[range_i] (rows i < nin of a weight with row ranges rg), db += dy.
template <typename T>
void weight_grad(int64_t nin, int64_t nout, const int64_t* rg, const T* x, const T* dy, T* dW,
                 T* db) {
  for (int64_t i = 0; i < nin; ++i) {
    const int64_t lo = rg[2 * i];
    axpy(rg[2 * i + 1] - lo, x[i], dy + lo, dW + i * nout + lo);
  }
  axpy(nout, T(1), dy, db);
}

// The weights' gradients from every step's stored inputs and pre-activation gradients
// (after the steps: the memory matrices are not needed here). Entries outside the row
// ranges are not read by the forward and get no gradient. All outputs zero on entry.
template <typename T>
void infer_weight_grads(const Dims& d, const Net<T>& net) {
  const int64_t ng = d.ng;
  for (int64_t e = 0; e < d.B; ++e)
    for (int64_t t = 0; t < d.T; ++t) {
      const int64_t et = e * d.T + t;
      const T* gp = t ? net.g + (et - 1) * ng : net.g_start + e * ng;
      const T* du = net.d_u + et * ng;
      T* dD = net.dD + net.act[et] * ng * ng;
      for (int64_t i = 0; i < ng; ++i) {
        const int64_t lo = net.rD[2 * i];
        if (du[i] != T(0)) axpy(net.rD[2 * i + 1] - lo, du[i], gp + lo, dD + i * ng + lo);
      }
      weight_grad(ng, d.Hg, net.rg1, gp, net.d_h1g + et * d.Hg, net.dWg1, net.dbg1);
      weight_grad(d.Hg, ng, net.rg2, net.a1g + et * d.Hg, net.d_yg + et * ng, net.dWg2,
                  net.dbg2);
      weight_grad(d.nph, d.Hm, net.rm1, net.gd + et * d.nph, net.d_hm + et * d.Hm, net.dWm1,
                  net.dbm1);
      weight_grad(d.Hm, ng, net.rm2, net.am + et * d.Hm, net.d_ym + et * ng, net.dWm2,
                  net.dbm2);
      weight_grad(d.nq, d.Hs, net.rs1, net.q + et * d.nq, net.d_hs + et * d.Hs, net.dWs1,
                  net.dbs1);
      weight_grad(d.Hs, ng, net.rs2, net.asd + et * d.Hs, net.d_ys + et * ng, net.dWs2,
                  net.dbs2);
    }
}

template <typename T>
void infer_backward(const Shape& s, const Dims& d, const Net<T>& net) {
  const int64_t n = s.n;
  std::vector<T> gA(d.T * n), gB(d.T * n), cg(d.ng), buf(3 * n + d.ng + d.nph);
  for (int64_t e = 0; e < d.B; ++e) {
    for (auto& v : gA) v = 0;
    for (auto& v : gB) v = 0;
    for (auto& v : cg) v = 0;
    for (int64_t t = d.T - 1; t >= 0; --t)
      infer_step_back(s, d, net, e, t, cg.data(), gA.data(), gB.data(), buf);
  }
  infer_weight_grads(d, net);
}

}  // namespace

// C entry points (ctypes): layout as for the attractor; sizes and scalars as in Dims;
// ptrs: the addresses of the arrays in Net's order. d_prior_mu and d_prior_sigma must be
// zero on entry.
#define TEM_INFER_ENTRY(T, SFX)                                                              \
  extern "C" void tem_infer_forward_##SFX(                                                  \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const double* sc, const int64_t* ptrs) {              \
    infer_forward(shape_of(layout, cols, start, group, kappa), read_dims(sz, sc),            \
                  read_net<T>(ptrs, false));                                                 \
  }                                                                                          \
  extern "C" void tem_infer_backward_##SFX(                                                 \
      const int64_t* layout, const int64_t* cols, const int64_t* start, const int64_t* group, \
      double kappa, const int64_t* sz, const double* sc, const int64_t* ptrs) {              \
    infer_backward(shape_of(layout, cols, start, group, kappa), read_dims(sz, sc),           \
                   read_net<T>(ptrs, true));                                                 \
  }

TEM_INFER_ENTRY(float, f32)
TEM_INFER_ENTRY(double, f64)
