import Attestation
import Ristretto255
import RiskEngine

/// The private records behind the book root: one per witness member, with the openings of its
/// two commitments and, for instruments, the positions (venue, account, entry, quantity) that
/// were aggregated into it. A disclosure reveals chosen records and nothing else.
enum BookRecords {
    static func make(portfolio: Portfolio, market: MarketSnapshot, layout: WitnessLayout, witness: Witness,
                     rPlus: [Scalar], rMinus: [Scalar]) throws(RecordError) -> [PositionRecord] {
        var details = [[PositionDetail]](repeating: [], count: market.instruments.count)
        for p in portfolio.positions {
            guard let i = market.instrumentIndex(p.instrument) else { continue }
            details[i].append(try PositionDetail(venue: p.venue ?? "", account: p.account ?? "",
                                                 entryPrice: CanonicalDecimal.fromDouble(p.entryPrice) ?? "0", quantityUnits: p.quantityUnits))
        }
        let aux = AuxiliaryLabels.labels(layout: layout, market: market)
        var out: [PositionRecord] = []
        out.reserveCapacity(layout.count)
        for (k, role) in layout.roles.enumerated() {
            let x = witness.values[k]
            let kind: MemberKind, id: String, units: Int64, d: [PositionDetail]
            switch role {
            case .instrument(let i):
                kind = .instrument; id = market.instruments[i].id; d = details[i]
                units = x * 10_000                      // 10^-4 contract → 10^-8
            case .collateral(let j):
                kind = .collateral; id = market.collateral[j].id; d = []
                units = x                               // already 10^-8
            default:
                kind = .auxiliary; id = aux[k - market.instruments.count - market.collateral.count].label; d = []
                units = x                               // auxiliary records carry x in the member's own unit
            }
            out.append(try PositionRecord(kind: kind, memberID: id, quantityUnits: units, plus: witness.plus[k],
                                          minus: witness.minus[k], blindingPlus: rPlus[k], blindingMinus: rMinus[k],
                                          details: d))
        }
        return out
    }
}

