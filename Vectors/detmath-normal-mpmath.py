#!/usr/bin/env python3
"""Writes Vectors/detmath-normal-mpmath.json: reference values of the standard normal CDF and
density, and of deep out-of-the-money option prices, from mpmath at 50 digits (independent of our
code). Each value is the correctly rounded double, as a hex bit pattern. Run from the package root."""
import json, random, struct
import mpmath as mp
mp.mp.dps = 50

def bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", float(x)))[0]

rng = random.Random(20261124)
xs = [0.0, -1e-300, 1e-300, -0.5, 0.5, -1, 1, -2, 2, -7.99, -8.0, -8.01, -20, -37.5, -38.4, 8.2, 5.0, -0.125]
xs += [rng.uniform(-38.4, 8.5) for _ in range(600)]
xs += [rng.uniform(-3, 3) for _ in range(200)]
xs += [-(2 ** rng.uniform(-30, 5)) for _ in range(100)]
cdf = []
for x in xs:
    x = float(x)
    X = mp.mpf(x)
    cdf.append([bits(x), bits(mp.ncdf(X)), bits(mp.npdf(X))])

def bsm(kind, S, K, T, v, r, q):
    S, K, T, v, r, q = map(mp.mpf, (S, K, T, v, r, q))
    sd = v * mp.sqrt(T)
    d1 = (mp.log(S / K) + (r - q) * T) / sd + sd / 2
    d2 = d1 - sd
    if kind == "call":
        return S * mp.exp(-q * T) * mp.ncdf(d1) - K * mp.exp(-r * T) * mp.ncdf(d2)
    return K * mp.exp(-r * T) * mp.ncdf(-d2) - S * mp.exp(-q * T) * mp.ncdf(-d1)

otm = []
for (kind, S, K, T, v, r, q) in [("put", 100, 50, 30/365, 0.3, 0.05, 0.01), ("put", 60000, 20000, 7/365, 0.6, 0.0, 0.0),
                                 ("call", 100, 250, 60/365, 0.5, 0.02, 0.0), ("put", 3000, 1000, 90/365, 0.9, 0.04, 0.02),
                                 ("call", 50000, 100000, 14/365, 0.7, 0.05, 0.0)]:
    otm.append({"type": kind, "S": S, "K": K, "T": T, "sigma": v, "r": r, "q": q, "price": bits(bsm(kind, S, K, T, v, r, q)),
                "price_decimal": mp.nstr(bsm(kind, S, K, T, v, r, q), 20)})

json.dump({"source": "mpmath %s, 50 significant digits; values rounded once to the nearest double" % mp.__version__,
           "normal": {"columns": ["x", "Phi(x)", "phi(x)"], "rows": cdf},
           "deep_otm_bsm": otm}, open("Vectors/detmath-normal-mpmath.json", "w"), indent=1)
print(len(cdf), [o["price_decimal"] for o in otm])
