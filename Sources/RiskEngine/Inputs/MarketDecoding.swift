// Decoding and validation of the market snapshot (schema `riskattest.market/1`, SPEC.md §2).

/// Limits and ranges of the market snapshot schema. They bound the work a verifier does on a
/// snapshot it did not write and catch unit mistakes (a percentage written as 45 instead of 0.45).
public enum MarketLimits {
    public static let schema = "riskattest.market/1"
    public static let maxUnderlyings = 64
    public static let maxInstruments = 4096
    public static let maxCollateralAssets = 64
    public static let maxTierTables = 64
    public static let maxTiersPerTable = 32
    public static let maxScenarios = 256
    public static let maxPrice = 1e12               // quote units per underlying unit
    public static let maxContractSize = 1e9
    public static let maxRateAbs = 1.0               // per year
    public static let maxIV = 10.0                   // 1000% vol
    public static let maxFundingRateAbs = 0.1        // per interval
    public static let maxFundingIntervalHours = 168.0
    public static let maxPriceAgeSeconds: Int64 = 7 * 86_400
    public static let maxExpirySeconds: Int64 = 10 * 366 * 86_400   // ~10 years after as_of
    public static let maxNotional = 1e15
    public static let maxMove = 10.0                 // +1000%
    public static let minTermStructureShock = -0.35  // keeps IV·(1 + s·30^0.3) > 0 (30^0.3 ≈ 2.774)
    public static let maxVolShock = 10.0
}

/// Member names of each object of the schema (built once; checked for every object read).
private enum Fields {
    static let underlying: Set<String> = ["id", "index_price", "price_time", "rate"]
    static let collateral: Set<String> = ["id", "price", "haircut", "underlying", "price_time"]
    static let instrumentCommon: Set<String> = ["id", "underlying", "type", "margining", "contract_size", "mark_price", "tier_table"]
    static let perpetual = instrumentCommon.union(["funding_rate", "funding_interval_hours"])
    static let future = instrumentCommon.union(["expiry"])
    static let option = instrumentCommon.union(["option_type", "strike", "expiry", "mark_iv", "settlement", "mark_price_coin"])
}

extension MarketSnapshot {
    /// Parses and validates a snapshot from its exact bytes (the bytes that the attestation hashes).
    public static func parse(_ bytes: [UInt8]) throws(InputError) -> MarketSnapshot {
        let json = try StrictJSON.parse(bytes)
        return try decode(json)
    }

    /// Decodes and validates an already-parsed snapshot.
    public static func decode(_ json: JSONValue) throws(InputError) -> MarketSnapshot {
        let root = try ObjectReader(json, path: "$")
        try root.rejectUnknown(["schema", "snapshot_id", "as_of", "quote_currency", "max_price_age_seconds",
                                "underlyings", "instruments", "collateral", "margin", "scenarios"])
        let schema = try Read.string(root.required("schema"), "schema")
        guard schema == MarketLimits.schema else {
            throw InputError(path: "schema", message: "expected \"\(MarketLimits.schema)\", found \"\(Read.printable(schema))\"")
        }
        let snapshotID = try Read.string(root.required("snapshot_id"), "snapshot_id")
        let asOf = try Read.timestamp(root.required("as_of"), "as_of")
        let quote = try Read.identifier(root.required("quote_currency"), "quote_currency")
        let maxAge = try Read.int64(root.required("max_price_age_seconds"), "max_price_age_seconds",
                                    min: 1, max: MarketLimits.maxPriceAgeSeconds)

        // Underlyings.
        var underlyings: [Underlying] = []
        var underlyingIDs = Set<String>()
        let uArr = try Read.array(root.required("underlyings"), "underlyings", max: MarketLimits.maxUnderlyings, min: 1)
        for (i, v) in uArr.enumerated() {
            let o = try ObjectReader(v, in: "underlyings", at: i)
            try o.rejectUnknown(Fields.underlying)
            let id = try Read.identifier(o.required("id"), o.child("id"))
            guard underlyingIDs.insert(id).inserted else {
                throw InputError(path: o.child("id"), message: "duplicate underlying id \"\(id)\"")
            }
            let price = try Read.double(o.required("index_price"), o.child("index_price"),
                                        .positive(max: MarketLimits.maxPrice, hint: "; prices must be positive"))
            let t = try Read.timestamp(o.required("price_time"), o.child("price_time"))
            try checkFresh(t, asOf: asOf, maxAge: maxAge, path: o.child("price_time"))
            let rate = try Read.double(o.required("rate"), o.child("rate"),
                                       .closed(-MarketLimits.maxRateAbs, MarketLimits.maxRateAbs, hint: " (a yearly fraction, 0.05 = 5%)"))
            underlyings.append(Underlying(id: id, indexPrice: price, priceTime: t, rate: rate))
        }

        // Margin parameters first: instruments reference tier tables.
        let margin = try decodeMargin(root.required("margin"))

        // Instruments.
        var instruments: [Instrument] = []
        var instrumentIDs = Set<String>()
        let iArr = try Read.array(root.required("instruments"), "instruments", max: MarketLimits.maxInstruments, min: 1)
        instruments.reserveCapacity(iArr.count)
        for (i, v) in iArr.enumerated() {
            let inst = try decodeInstrument(v, index: i, asOf: asOf, underlyings: underlyingIDs,
                                            tierTables: margin.tierTables,
                                            indexPrices: Dictionary(uniqueKeysWithValues: underlyings.map { ($0.id, $0.indexPrice) }))
            guard instrumentIDs.insert(inst.id).inserted else {
                throw InputError(path: "instruments[\(i)].id", message: "duplicate instrument id \"\(inst.id)\"")
            }
            instruments.append(inst)
        }

        // Collateral assets.
        var collateral: [CollateralAsset] = []
        var collateralIDs = Set<String>()
        let cArr = try Read.array(root.required("collateral"), "collateral", max: MarketLimits.maxCollateralAssets, min: 1)
        for (i, v) in cArr.enumerated() {
            let o = try ObjectReader(v, in: "collateral", at: i)
            try o.rejectUnknown(Fields.collateral)
            let id = try Read.identifier(o.required("id"), o.child("id"))
            guard collateralIDs.insert(id).inserted else {
                throw InputError(path: o.child("id"), message: "duplicate collateral asset id \"\(id)\"")
            }
            let price = try Read.double(o.required("price"), o.child("price"),
                                        .positive(max: MarketLimits.maxPrice, hint: "; prices must be positive"))
            let haircut = try Read.double(o.required("haircut"), o.child("haircut"),
                                          NumberRange(lower: 0, lowerOpen: false, upper: 1, upperOpen: true,
                                                      hint: "; a haircut is a fraction in [0, 1)"))
            var und: String? = nil
            if let u = o.optional("underlying") {
                let uid = try Read.identifier(u, o.child("underlying"))
                guard underlyingIDs.contains(uid) else {
                    throw InputError(path: o.child("underlying"), message: "unknown underlying \"\(uid)\"")
                }
                und = uid
            }
            if let pt = o.optional("price_time") {
                let t = try Read.timestamp(pt, o.child("price_time"))
                try checkFresh(t, asOf: asOf, maxAge: maxAge, path: o.child("price_time"))
            }
            collateral.append(CollateralAsset(id: id, price: price, haircut: haircut, underlying: und))
        }

        // Scenarios.
        var scenarios: [Scenario] = []
        var scenarioNames = Set<String>()
        let sArr = try Read.array(root.required("scenarios"), "scenarios", max: MarketLimits.maxScenarios, min: 1)
        for (i, v) in sArr.enumerated() {
            // `{"preset": NAME}` expands in place into a venue's published table (§2.7).
            let expanded: [Scenario]
            if case .object(let members) = v, members.contains(where: { $0.0 == "preset" }) {
                let o = try ObjectReader(v, in: "scenarios", at: i)
                try o.rejectUnknown(["preset"], context: " for a scenario preset")
                let name = try Read.string(o.required("preset"), o.child("preset"))
                guard let preset = ScenarioPreset(rawValue: name) else {
                    throw InputError(path: o.child("preset"), message: "unknown scenario preset \"\(Read.printable(name))\" (known: "
                        + ScenarioPreset.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") + ")")
                }
                expanded = preset.scenarios(underlyings: underlyings.map(\.id))
            } else {
                expanded = [try decodeScenario(v, index: i, underlyings: underlyingIDs, instruments: instruments)]
            }
            for s in expanded {
                guard scenarioNames.insert(s.name).inserted else {
                    throw InputError(path: expanded.count == 1 ? "scenarios[\(i)].name" : "scenarios[\(i)]", message: "duplicate scenario name \"\(Read.printable(s.name))\"")
                }
                scenarios.append(s)
            }
            guard scenarios.count <= MarketLimits.maxScenarios else {
                throw InputError(path: "scenarios[\(i)]", message:
                    "more than \(MarketLimits.maxScenarios) scenarios after expanding presets")
            }
        }

        return MarketSnapshot(snapshotID: snapshotID, asOf: asOf, quoteCurrency: quote, maxPriceAgeSeconds: maxAge,
                              underlyings: underlyings, instruments: instruments, collateral: collateral,
                              margin: margin, scenarios: scenarios)
    }

    /// A price observation must lie in [asOf − maxAge, asOf].
    static func checkFresh(_ t: Timestamp, asOf: Timestamp, maxAge: Int64, path: String) throws(InputError) {
        if t > asOf {
            throw InputError(path: path, message: "price time \(t) is after the snapshot time \(asOf)")
        }
        let age = asOf.seconds - t.seconds
        if age > maxAge {
            throw InputError(path: path, message:
                "stale price: observed at \(t), \(age) s before as_of \(asOf), older than max_price_age_seconds = \(maxAge)")
        }
    }

    static func decodeInstrument(_ v: JSONValue, index: Int, asOf: Timestamp, underlyings: Set<String>,
                                 tierTables: [String: [MarginTier]],
                                 indexPrices: [String: Double] = [:]) throws(InputError) -> Instrument {
        let o = try ObjectReader(v, in: "instruments", at: index)
        let typeText = try Read.string(o.required("type"), o.child("type"))
        let allowed: Set<String>
        switch typeText {
        case "perpetual": allowed = Fields.perpetual
        case "future": allowed = Fields.future
        case "option": allowed = Fields.option
        default:
            throw InputError(path: o.child("type"), message:
                "\"\(Read.printable(typeText))\" is not one of \"perpetual\", \"future\", \"option\"")
        }
        try o.rejectUnknown(allowed, context: " for a \(typeText)")
        let id = try Read.identifier(o.required("id"), o.child("id"))
        let und = try Read.identifier(o.required("underlying"), o.child("underlying"))
        guard underlyings.contains(und) else {
            throw InputError(path: o.child("underlying"), message: "unknown underlying \"\(und)\" (not in underlyings)")
        }
        let margining = try Read.choice(o.required("margining"), o.child("margining"), Margining.self)
        let size = try Read.double(o.required("contract_size"), o.child("contract_size"),
                                   .positive(max: MarketLimits.maxContractSize, hint: "; contract sizes must be positive"))
        // An inverse option may be marked in coin, as Deribit quotes it (`mark_price_coin`, coin per
        // underlying unit); the engine's mark is then `mark_price_coin·S` (one product, S the index).
        // Exactly one of the two is given.
        let mark: Double
        if let coinValue = o.optional("mark_price_coin") {
            guard typeText == "option" else {
                throw InputError(path: o.child("mark_price_coin"), message: "only options may be marked in coin")
            }
            guard o.optional("mark_price") == nil else {
                throw InputError(path: o.child("mark_price_coin"), message:
                    "give either mark_price (quote currency) or mark_price_coin (coin), not both")
            }
            guard margining == .inverse else {
                throw InputError(path: o.child("mark_price_coin"), message:
                    "only inverse (coin-settled) options are marked in coin; a linear option's mark_price is in quote currency")
            }
            let coinMark = try Read.double(coinValue, o.child("mark_price_coin"),
                                           .positive(max: 10, hint: "; a coin premium per underlying unit, e.g. 0.0525"))
            let s = indexPrices[und] ?? 0
            mark = coinMark * s
            guard mark > 0, mark <= MarketLimits.maxPrice else {
                throw InputError(path: o.child("mark_price_coin"), message: "the mark in quote currency (\(mark)) is out of range")
            }
        } else {
            mark = try Read.double(o.required("mark_price"), o.child("mark_price"),
                                   .positive(max: MarketLimits.maxPrice, hint: "; prices must be positive"))
        }
        let table = try Read.identifier(o.required("tier_table"), o.child("tier_table"))
        guard tierTables[table] != nil else {
            throw InputError(path: o.child("tier_table"), message: "unknown tier table \"\(table)\" (not in margin.tier_tables)")
        }

        func expiry() throws(InputError) -> Timestamp {
            let e = try Read.timestamp(o.required("expiry"), o.child("expiry"))
            guard e > asOf else {
                throw InputError(path: o.child("expiry"), message: "\(typeText) \(id) expired: expiry \(e) is not after as_of \(asOf)")
            }
            guard e.seconds - asOf.seconds <= MarketLimits.maxExpirySeconds else {
                throw InputError(path: o.child("expiry"), message: "expiry \(e) is more than 10 years after as_of")
            }
            return e
        }

        let kind: InstrumentKind
        switch typeText {
        case "perpetual":
            let rate = try Read.double(o.required("funding_rate"), o.child("funding_rate"),
                                       .closed(-MarketLimits.maxFundingRateAbs, MarketLimits.maxFundingRateAbs,
                                               hint: " (a fraction per funding interval)"))
            let hours = try Read.double(o.required("funding_interval_hours"), o.child("funding_interval_hours"),
                                        .positive(max: MarketLimits.maxFundingIntervalHours))
            kind = .perpetual(fundingRate: rate, fundingIntervalHours: hours)
        case "future":
            kind = .future(expiry: try expiry())
        default:
            let optionKind = try Read.choice(o.required("option_type"), o.child("option_type"), OptionKind.self,
                                             options: [.call, .put])
            let strike = try Read.double(o.required("strike"), o.child("strike"),
                                         .positive(max: MarketLimits.maxPrice, hint: "; strikes must be positive"))
            let e = try expiry()
            let iv = try Read.double(o.required("mark_iv"), o.child("mark_iv"),
                                     .positive(max: MarketLimits.maxIV, hint: "; implied vol is a positive yearly fraction, 0.55 = 55%"))
            let settlement = try Read.choice(o.required("settlement"), o.child("settlement"), Settlement.self)
            kind = .option(OptionSpec(kind: optionKind, strike: strike, expiry: e, markIV: iv, settlement: settlement))
        }
        return Instrument(id: id, underlying: und, kind: kind, margining: margining, contractSize: size,
                          markPrice: mark, tierTable: table)
    }

    static func decodeMargin(_ v: JSONValue) throws(InputError) -> MarginParameters {
        let o = try ObjectReader(v, path: "margin")
        try o.rejectUnknown(["portfolio_maintenance_fraction", "option_margin", "tier_tables", "portfolio_min_delta"])
        let pmf = try Read.double(o.required("portfolio_maintenance_fraction"), o.child("portfolio_maintenance_fraction"),
                                  .positive(max: 1))
        let om = try ObjectReader(o.required("option_margin"), path: o.child("option_margin"))
        try om.rejectUnknown(["short_initial_rate", "short_initial_floor_rate", "short_maintenance_rate"])
        let sir = try Read.double(om.required("short_initial_rate"), om.child("short_initial_rate"), .positive(max: 1))
        let sifr = try Read.double(om.required("short_initial_floor_rate"), om.child("short_initial_floor_rate"), .positive(max: 1))
        let smr = try Read.double(om.required("short_maintenance_rate"), om.child("short_maintenance_rate"), .positive(max: 1))
        guard sifr <= sir else {
            throw InputError(path: om.child("short_initial_floor_rate"), message: "must not exceed short_initial_rate (\(sir))")
        }
        guard smr <= sifr else {
            throw InputError(path: om.child("short_maintenance_rate"), message: "must not exceed short_initial_floor_rate (\(sifr))")
        }

        var tables: [String: [MarginTier]] = [:]
        let tArr = try Read.array(o.required("tier_tables"), o.child("tier_tables"), max: MarketLimits.maxTierTables, min: 1)
        for (i, tv) in tArr.enumerated() {
            let to = try ObjectReader(tv, in: "margin.tier_tables", at: i)
            try to.rejectUnknown(["name", "tiers"])
            let name = try Read.identifier(to.required("name"), to.child("name"))
            guard tables[name] == nil else {
                throw InputError(path: to.child("name"), message: "duplicate tier table name \"\(name)\"")
            }
            tables[name] = try decodeTiers(to.required("tiers"), path: to.child("tiers"))
        }
        var minDelta: MinDeltaRates? = nil
        if let mv = o.optional("portfolio_min_delta") {
            let mo = try ObjectReader(mv, path: o.child("portfolio_min_delta"))
            try mo.rejectUnknown(["net_rate", "hedged_rate"])
            let rates = NumberRange(lower: 0, lowerOpen: false, upper: 1, upperOpen: false,
                                    hint: " (a fraction of the delta's value, Paradex: 0.02 net, 0.01 hedged)")
            minDelta = MinDeltaRates(netRate: try Read.double(mo.required("net_rate"), mo.child("net_rate"), rates),
                                     hedgedRate: try Read.double(mo.required("hedged_rate"), mo.child("hedged_rate"), rates))
        }
        return MarginParameters(tierTables: tables, portfolioMaintenanceFraction: pmf,
                                optionMargin: OptionMarginRates(shortInitialRate: sir, shortInitialFloorRate: sifr,
                                                                shortMaintenanceRate: smr),
                                portfolioMinDelta: minDelta)
    }

    /// Tiers: max_notional strictly increasing (absent/null only on the last, unbounded tier),
    /// maintenance rates strictly increasing, initial ≥ maintenance and non-decreasing. The
    /// cumulative deduction follows the Binance recurrence
    /// `cum_0 = 0, cum_i = cum_{i−1} + maxNotional_{i−1}·(mmr_i − mmr_{i−1})`, which makes
    /// `N·mmr_i − cum_i` continuous at every bracket boundary. It is computed in exact decimal
    /// arithmetic from the number texts; a given value must equal it exactly.
    static func decodeTiers(_ v: JSONValue, path: String) throws(InputError) -> [MarginTier] {
        let arr = try Read.array(v, path, max: MarketLimits.maxTiersPerTable, min: 1)
        var tiers: [MarginTier] = []
        var prevExact: (maxNotional: ExactDecimalValue, mmr: ExactDecimalValue, cum: ExactDecimalValue)? = nil
        for (i, tv) in arr.enumerated() {
            let o = try ObjectReader(tv, in: path, at: i)
            try o.rejectUnknown(["max_notional", "maintenance_rate", "initial_rate", "cumulative_deduction"])
            let isLast = i == arr.count - 1
            var maxN: Double? = nil
            var maxExact: ExactDecimalValue? = nil
            if let m = o.optional("max_notional") {
                guard !isLast else {
                    throw InputError(path: o.child("max_notional"), message: "the last tier must be unbounded (omit max_notional or set it to null)")
                }
                maxN = try Read.double(m, o.child("max_notional"), .positive(max: MarketLimits.maxNotional))
                maxExact = try Read.exact(m, o.child("max_notional"))
            } else if !isLast {
                throw InputError(path: o.child("max_notional"), message: "missing required field \"max_notional\" (only the last tier is unbounded)")
            }
            let mmrValue = try o.required("maintenance_rate")
            let mmr = try Read.double(mmrValue, o.child("maintenance_rate"), .positive(max: 1))
            let mmrExact = try Read.exact(mmrValue, o.child("maintenance_rate"))
            let imr = try Read.double(o.required("initial_rate"), o.child("initial_rate"), .positive(max: 1))
            guard imr >= mmr else {
                throw InputError(path: o.child("initial_rate"), message: "initial rate \(imr) is below the maintenance rate \(mmr)")
            }
            var cum = ExactDecimalValue(mantissa: 0, scale: 0)!
            if let prev = tiers.last, let pe = prevExact {
                if let m = maxN, let prevMax = prev.maxNotional, m <= prevMax {
                    throw InputError(path: o.child("max_notional"), message:
                        "tiers must be strictly increasing: \(m) is not above the previous tier's \(prevMax)")
                }
                guard mmr > prev.maintenanceRate else {
                    throw InputError(path: o.child("maintenance_rate"), message:
                        "maintenance rates must be strictly increasing: \(mmr) is not above the previous tier's \(prev.maintenanceRate)")
                }
                guard imr >= prev.initialRate else {
                    throw InputError(path: o.child("initial_rate"), message:
                        "initial rates must not decrease: \(imr) is below the previous tier's \(prev.initialRate)")
                }
                guard let step = (mmrExact - pe.mmr).flatMap({ pe.maxNotional * $0 }), let c = pe.cum + step else {
                    throw InputError(path: o.child("maintenance_rate"), message:
                        "too many significant digits to compute the cumulative deduction exactly (at most 18 decimals)")
                }
                cum = c
            }
            if let cv = o.optional("cumulative_deduction") {
                _ = try Read.double(cv, o.child("cumulative_deduction"), .closed(0, MarketLimits.maxNotional))
                let given = try Read.exact(cv, o.child("cumulative_deduction"))
                guard given == cum else {
                    throw InputError(path: o.child("cumulative_deduction"), message:
                        "\(given) does not match the continuity formula cum_i = cum_{i-1} + max_notional_{i-1}·(mmr_i − mmr_{i-1}) = \(cum)")
                }
            }
            if let me = maxExact { prevExact = (me, mmrExact, cum) }
            tiers.append(MarginTier(maxNotional: maxN, maintenanceRate: mmr, initialRate: imr, cumulativeDeduction: cum.double))
        }
        return tiers
    }

    static func decodeScenario(_ v: JSONValue, index: Int, underlyings: Set<String>,
                               instruments: [Instrument]) throws(InputError) -> Scenario {
        let o = try ObjectReader(v, in: "scenarios", at: index)
        try o.rejectUnknown(["name", "price_moves", "vol_shock", "weight"])
        let name = try Read.string(o.required("name"), o.child("name"), maxLength: 64)
        let movesReader = try ObjectReader(o.required("price_moves"), path: o.child("price_moves"))
        guard case .object(let movesObj) = try o.required("price_moves") else {
            throw InputError(path: o.child("price_moves"), message: "expected an object")   // checked by the reader above
        }
        var moves: [String: Double] = [:]
        for (k, mv) in movesObj {
            let mp = movesReader.child(k)
            guard underlyings.contains(k) else {
                throw InputError(path: mp, message: "scenario moves unknown underlying \"\(Read.printable(k))\"")
            }
            moves[k] = try Read.double(mv, mp, NumberRange(lower: -1, lowerOpen: true, upper: MarketLimits.maxMove, upperOpen: false,
                                                         hint: "; a move is a fraction of the price and must be > -1 (-1 = price 0)"))
        }
        var shock = VolShock.none
        if let sv = o.optional("vol_shock") {
            let so = try ObjectReader(sv, path: o.child("vol_shock"))
            let typeText = try Read.string(so.required("type"), so.child("type"))
            switch typeText {
            case "none":
                try so.rejectUnknown(["type"])
            case "absolute":
                try so.rejectUnknown(["type", "shift"])
                let s = try Read.double(so.required("shift"), so.child("shift"),
                                        .closed(-MarketLimits.maxIV, MarketLimits.maxVolShock, hint: " (vol units, 0.10 = +10 vol points)"))
                for inst in instruments {
                    if case .option(let spec) = inst.kind, !(spec.markIV + s > 0) {
                        throw InputError(path: so.child("shift"), message:
                            "shift \(s) makes the vol of \(inst.id) (mark IV \(spec.markIV)) non-positive")
                    }
                }
                shock = .absolute(s)
            case "term_structure":
                try so.rejectUnknown(["type", "shock"])
                let s = try Read.double(so.required("shock"), so.child("shock"),
                                        .closed(MarketLimits.minTermStructureShock, MarketLimits.maxVolShock,
                                                hint: " (above -0.35 keeps every shocked vol positive)"))
                shock = .termStructure(s)
            default:
                throw InputError(path: so.child("type"), message:
                    "\"\(Read.printable(typeText))\" is not one of \"none\", \"absolute\", \"term_structure\"")
            }
        }
        let weight = try Read.double(o.required("weight"), o.child("weight"),
                                     .positive(max: 1, hint: "; a scenario weight is in (0, 1]"))
        return Scenario(name: name, priceMoves: moves, volShock: shock, weight: weight)
    }
}
