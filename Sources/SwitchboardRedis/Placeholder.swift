public enum RedisPlaceholder {}
