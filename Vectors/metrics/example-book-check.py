#!/usr/bin/env python3
"""Independent check of the example book's equity and portfolio requirement (SPEC §6.2-§6.5).

Written from the SPEC text, not from the engine: plain floats, math.erfc for the normal CDF,
Black-76 on F0 = the listed future's mark where a future of the option's expiry exists, else
S0*exp(rate*T); options valued at their mark and moved by the model; futures/perpetual marks move
with the index; inverse contracts carry their price risk in the coin amount q*size/entry;
collateral after haircuts (loans at full price). Prints equity, the worst weighted scenario
loss, the minimum delta requirement and the portfolio initial margin. Used for the reference
figures in Tests/RiskEngineTests/InputPortfolioTests.swift. Run: python3 example-book-check.py
"""
import json, math, os, datetime

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
M = json.load(open(os.path.join(root, "Examples", "market.json")))
P = json.load(open(os.path.join(root, "Examples", "portfolio.json")))

def ts(t): return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
asof = ts(M["as_of"])
U = {u["id"]: u for u in M["underlyings"]}
I = {i["id"]: i for i in M["instruments"]}
N = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))

def black76(call, F, K, T, vol, rate):
    sd = vol * math.sqrt(T); d1 = (math.log(F / K)) / sd + sd / 2; d2 = d1 - sd; df = math.exp(-rate * T)
    return df * (F * N(d1) - K * N(d2)) if call else df * (K * N(-d2) - F * N(-d1))

def black76_delta(call, F, K, T, vol, rate):
    sd = vol * math.sqrt(T); d1 = math.log(F / K) / sd + sd / 2; df = math.exp(-rate * T)
    return df * N(d1) if call else -df * N(-d1)

def forward(inst):
    u = U[inst["underlying"]]
    for j in M["instruments"]:
        if j["type"] == "future" and j["underlying"] == inst["underlying"] and j["expiry"] == inst["expiry"]:
            return j["mark_price"]
    T = (ts(inst["expiry"]) - asof) / (365 * 86400)
    return u["index_price"] * math.exp(u["rate"] * T)

def shocked(inst, vs):
    iv = inst["mark_iv"]
    if not vs or vs["type"] == "none": return iv
    if vs["type"] == "absolute": return iv + vs["shift"]
    dte = (ts(inst["expiry"]) - asof) / 86400
    p = 0.30 if dte < 30 else 0.13
    return iv * (1 + vs["shock"] * (30 / max(1, dte)) ** p)

def unit_value(inst, r, vs):
    s0 = U[inst["underlying"]]["index_price"]; size = inst["contract_size"]
    if inst["type"] == "option":
        T = (ts(inst["expiry"]) - asof) / (365 * 86400); F = forward(inst); call = inst["option_type"] == "call"
        rate = U[inst["underlying"]]["rate"]
        return size * inst["mark_price"] + size * (black76(call, F * r, inst["strike"], T, shocked(inst, vs), rate)
                                                   - black76(call, F, inst["strike"], T, inst["mark_iv"], rate))
    if inst["margining"] == "linear": return size * inst["mark_price"] * r
    return -size * s0 / inst["mark_price"]

def equity(moves, vs):
    eq = 0.0
    for c in P["collateral"]:
        a = next(x for x in M["collateral"] if x["id"] == c["asset"])
        r = 1 + moves.get(a.get("underlying"), 0) if a.get("underlying") else 1
        eq += c["amount"] * a["price"] * r * ((1 - a["haircut"]) if c["amount"] >= 0 else 1)
    for p in P["positions"]:
        inst = I[p["instrument"]]; r = 1 + moves.get(inst["underlying"], 0); q = p["quantity"]
        s = U[inst["underlying"]]["index_price"] * r; size = inst["contract_size"]
        eq += q * unit_value(inst, r, vs)
        if inst["type"] != "option":
            if inst["margining"] == "linear": eq += -q * size * p["entry_price"]
            else: eq += q * size / p["entry_price"] * s
    return eq

e0 = equity({}, None)
worst, name = 0.0, None
for sc in M["scenarios"]:
    wl = sc["weight"] * (e0 - equity(sc["price_moves"], sc.get("vol_shock")))
    if wl > worst: worst, name = wl, sc["name"]

md = M["margin"].get("portfolio_min_delta"); D = 0.0
if md:
    for uid, u in U.items():
        net = gross = 0.0; members = {}
        for p in P["positions"]:
            inst = I[p["instrument"]]
            if inst["underlying"] != uid: continue
            q = p["quantity"]; size = inst["contract_size"]; s0 = u["index_price"]
            if inst["type"] == "option":
                T = (ts(inst["expiry"]) - asof) / (365 * 86400); F = forward(inst)
                d = size * black76_delta(inst["option_type"] == "call", F, inst["strike"], T, inst["mark_iv"], u["rate"]) * F / s0
                members[inst["id"]] = members.get(inst["id"], 0) + q * d
            elif inst["margining"] == "linear":
                members[inst["id"]] = members.get(inst["id"], 0) + q * size * inst["mark_price"] / s0
            else:
                members[inst["id"]] = members.get(inst["id"], 0) + q * size / p["entry_price"]
        xs = list(members.values())
        for c in P["collateral"]:
            a = next(x for x in M["collateral"] if x["id"] == c["asset"])
            if a.get("underlying") == uid: xs.append(c["amount"] * a["price"] / u["index_price"])
        net = sum(xs); gross = sum(abs(x) for x in xs); hedged = max(0, (gross - abs(net)) / 2)
        D += (md["net_rate"] * abs(net) + md["hedged_rate"] * hedged) * u["index_price"]
print(f"equity {e0:.2f}\nworst weighted loss {worst:.2f} ({name})\nmin delta {D:.2f}\n"
      f"portfolio initial {max(worst, D):.2f} maintenance {M['margin']['portfolio_maintenance_fraction'] * max(worst, D):.2f}")
