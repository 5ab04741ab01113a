/// A flat schema: the file's columns in order (the footer's root `SchemaElement` and its
/// leaves; nested and repeated columns are not supported).
public struct ParquetSchema: Sendable, Equatable {
    /// The columns, in file order: batches and row groups list their data in this order.
    public var columns: [ParquetColumn]

    /// A schema of `columns`, in that order.
    public init(_ columns: [ParquetColumn]) { self.columns = columns }

    /// The position of the column called `name`, or nil when there is none.
    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }
}
