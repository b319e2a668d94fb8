/// Circuits: the statement language and its sound compilation to linear constraints.
public enum CircuitsInfo { public static let version = "1" }
