import ThroughlineCore

/// What a replay found, as `report.json`, the what-if store, the what-if page and `replay`'s
/// summary show it: the log it read, each rules version's backtest, and (with two versions) the
/// accounts the two put in different bands on the last day.
public struct ReplayReport: Codable, Sendable, Equatable {
    public struct Log: Codable, Sendable, Equatable {
        public var lastSeq: UInt64
        public var events: Int
        public var lastDate: CalendarDate

        enum CodingKeys: String, CodingKey { case lastSeq = "last_seq", events, lastDate = "last_date" }

        public init(lastSeq: UInt64, events: Int, lastDate: CalendarDate) { (self.lastSeq, self.events, self.lastDate) = (lastSeq, events, lastDate) }
    }

    /// The accounts in another band under the second version than under the first.
    public struct BandDifferences: Codable, Sendable, Equatable {
        /// The two versions, in the order given.
        public var rules: [String]
        public var accounts: Int
        public var list: [Difference]

        public init(rules: [String], accounts: Int, list: [Difference]) { (self.rules, self.accounts, self.list) = (rules, accounts, list) }
    }

    /// One account: its band under each version on its last day, and the signals whose points
    /// differ most. Its JSON names the bands and points by the versions' names.
    public struct Difference: Codable, Sendable, Equatable {
        public struct Signal: Sendable, Equatable {
            public var signal: String
            /// Points under each version, rounded to a tenth.
            public var points: (Double, Double)
            public var reason: String

            public init(signal: String, points: (Double, Double), reason: String) { (self.signal, self.points, self.reason) = (signal, points, reason) }

            public static func == (a: Signal, b: Signal) -> Bool {
                a.signal == b.signal && a.points == b.points && a.reason == b.reason
            }
        }

        public var account: String
        public var date: CalendarDate
        /// The two versions' names and the band each computed.
        public var rules: (String, String)
        public var bands: (Band?, Band?)
        public var signals: [Signal]

        public static func == (a: Difference, b: Difference) -> Bool {
            a.account == b.account && a.date == b.date && a.rules == b.rules && a.bands == b.bands && a.signals == b.signals
        }

        public init(account: String, date: CalendarDate, rules: (String, String), bands: (Band?, Band?), signals: [Signal]) {
            (self.account, self.date, self.rules, self.bands, self.signals) = (account, date, rules, bands, signals)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: JSONKey.self)
            try c.encode(account, forKey: "account")
            try c.encode(date, forKey: "date")
            try c.encodeIfPresent(bands.0?.rawValue, forKey: JSONKey(rules.0))
            try c.encodeIfPresent(bands.1?.rawValue, forKey: JSONKey(rules.1))
            var list = c.nestedUnkeyedContainer(forKey: "signals")
            for s in signals {
                var o = list.nestedContainer(keyedBy: JSONKey.self)
                try o.encode(s.signal, forKey: "signal")
                var points = o.nestedContainer(keyedBy: JSONKey.self, forKey: "points")
                try points.encode(s.points.0, forKey: JSONKey(rules.0))
                try points.encode(s.points.1, forKey: JSONKey(rules.1))
                try o.encode(s.reason, forKey: "reason")
            }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: JSONKey.self)
            account = try c.decode(String.self, forKey: "account")
            date = try c.decode(CalendarDate.self, forKey: "date")
            // The two keys that are neither the account, the date nor the signals name the versions.
            let names = c.allKeys.map(\.stringValue).filter { !["account", "date", "signals"].contains($0) }
            guard names.count == 2 else {
                throw DecodingError.dataCorruptedError(forKey: "account", in: c, debugDescription: "a band difference names \(names.count) rules versions, not 2")
            }
            rules = (names[0], names[1])
            func band(_ name: String) throws -> Band? {
                try c.decodeIfPresent(String.self, forKey: JSONKey(name)).flatMap(Band.init(rawValue:))
            }
            bands = (try band(names[0]), try band(names[1]))
            var list = try c.nestedUnkeyedContainer(forKey: "signals")
            signals = []
            while !list.isAtEnd {
                let o = try list.nestedContainer(keyedBy: JSONKey.self)
                let points = try o.nestedContainer(keyedBy: JSONKey.self, forKey: "points")
                signals.append(Signal(signal: try o.decode(String.self, forKey: "signal"),
                                      points: (try points.decode(Double.self, forKey: JSONKey(names[0])), try points.decode(Double.self, forKey: JSONKey(names[1]))),
                                      reason: try o.decode(String.self, forKey: "reason")))
            }
        }
    }

    public var log: Log
    public var versions: [BacktestReport]
    /// Only with two versions or more (then the key is there; without, it is not).
    public var bandDifferences: BandDifferences?

    enum CodingKeys: String, CodingKey { case log, versions, bandDifferences = "band_differences" }

    public init(log: Log, versions: [BacktestReport], bandDifferences: BandDifferences?) {
        (self.log, self.versions, self.bandDifferences) = (log, versions, bandDifferences)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(log, forKey: .log)
        try c.encode(versions, forKey: .versions)
        if let bandDifferences { try c.encode(bandDifferences, forKey: .bandDifferences) }
    }

    /// The report as JSON (`report.json`, the what-if store's copy).
    public func json() throws -> JSONValue { try JSONValueEncoder.encode(self) }
}
