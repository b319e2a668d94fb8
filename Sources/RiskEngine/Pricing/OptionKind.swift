/// Call or put. Contract A type, declared here temporarily by branch engine-inputs because
/// engine-pricing had not committed it yet; delete this file when merging engine-pricing.
public enum OptionKind: String, Sendable, Codable { case call, put }
