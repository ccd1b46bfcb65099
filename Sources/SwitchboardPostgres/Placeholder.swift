public enum PostgresPlaceholder {}
