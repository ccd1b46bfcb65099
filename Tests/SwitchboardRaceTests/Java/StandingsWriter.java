// Writes standings snapshots the way a Java timing program does (ObjectOutputStream), for
// SwitchboardRaceTests: the streams and, per snapshot, the JSON rows the decoder must print.
//
// Usage: java StandingsWriter <directory>
// Writes <directory>/standings.bin (two streams, one after the other, as a connection that
// restarts), <directory>/expected.ndjson (one snapshot per line) and <directory>/first-stream-length.txt.
import java.io.*;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class StandingsWriter {
    enum Phase { LIVE, FINAL }

    /** A superclass with fields of its own: its data comes first. */
    static class Race implements Serializable {
        private static final long serialVersionUID = 11L;
        int raceId = 7;
        String title = "Albmarathon";
    }

    /** Externalizable data is block data ended by TC_ENDBLOCKDATA. */
    public static class Sponsor implements Externalizable {
        private static final long serialVersionUID = 12L;
        public Sponsor() {}
        public void writeExternal(ObjectOutput out) throws IOException { out.writeInt(42); out.writeObject("Sparkasse"); }
        public void readExternal(ObjectInput in) throws IOException, ClassNotFoundException { in.readInt(); in.readObject(); }
    }

    /** Makes a TC_PROXYCLASSDESC appear in the stream. */
    static class Handler implements InvocationHandler, Serializable {
        private static final long serialVersionUID = 13L;
        public Object invoke(Object proxy, Method method, Object[] args) { return null; }
    }

    static class Standings extends Race {
        private static final long serialVersionUID = 14L;
        long timestamp;
        double distance = 42.195;
        boolean finished;
        Phase phase;
        int[] splits = {5, 10, 21};
        Object[] header;
        ArrayList<String[]> rows = new ArrayList<>();
        HashMap<String, Integer> finishers = new HashMap<>();
        Object extra;
        Sponsor sponsor = new Sponsor();

        /** Custom data after the fields: primitives in block data, then objects. */
        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            out.writeInt(rows.size());
            out.writeUTF("checksum");
            out.writeObject(new Date(1_700_000_000_000L));
        }
    }

    // The same String instances in every snapshot: the stream sends them once, then back-references.
    static final String[] CLUBS = { new String("Rammingen"), new String("LG Ulm"), new String("TSV Blaubeuren"), new String("SC Wörth") };
    static final String[] CLASSES = { new String("M40"), new String("W35"), new String("MHK"), new String("W50") };
    static final String[] NAMES = {
        "RÄTZ Sigishelm", "GROß Jürgen", "ÖZTÜRK Ayşe", "NEUMÜLLER Hansgünther", "LOGES Margit",
        "KLÖTZER Ørnbert", "FREITAG Hellmut", "ŁUKASZ Zoë 🏃", "VIETEN Kreszenz", "EVANS Denny",
    };
    static final String LEADER_GAP = new String("0:00:00.0");

    public static void main(String[] args) throws Exception {
        File directory = new File(args[0]);
        StringBuilder expected = new StringBuilder();
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        writeStream(first, 0, 4, expected);
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        writeStream(second, 4, 3, expected);
        try (FileOutputStream file = new FileOutputStream(new File(directory, "standings.bin"))) {
            first.writeTo(file);
            second.writeTo(file);
        }
        write(new File(directory, "expected.ndjson"), expected.toString());
        write(new File(directory, "first-stream-length.txt"), Integer.toString(first.size()));
    }

    static void write(File file, String text) throws IOException {
        try (OutputStream out = new FileOutputStream(file)) { out.write(text.getBytes(StandardCharsets.UTF_8)); }
    }

    /** One connection: a stream header, then snapshots, with a reset() after every second one. */
    static void writeStream(OutputStream target, int firstSnapshot, int count, StringBuilder expected) throws Exception {
        ObjectOutputStream out = new ObjectOutputStream(target);
        for (int n = firstSnapshot; n < firstSnapshot + count; n++) {
            Standings standings = snapshot(n);
            out.writeObject(standings);
            out.writeInt(n);  // top-level block data between the objects
            expected.append(json(standings.rows)).append('\n');
            if (n % 2 == 1) out.reset();
        }
        out.flush();
    }

    static Standings snapshot(int n) {
        Standings standings = new Standings();
        standings.timestamp = 1_700_000_000_000L + n * 60_000L;
        standings.finished = n == 6;
        standings.phase = n == 6 ? Phase.FINAL : Phase.LIVE;
        standings.header = new Object[] { Integer.valueOf(18), Integer.valueOf(0), Integer.valueOf(5 + n) };
        if (n == 2) {
            // Over 65535 bytes in modified UTF-8: a TC_LONGSTRING.
            standings.extra = "Streckenänderung ".repeat(4000);
        } else if (n == 3) {
            standings.extra = Proxy.newProxyInstance(
                StandingsWriter.class.getClassLoader(), new Class<?>[] { Runnable.class }, new Handler());
        }
        int rows = 6 + n % 4;
        int leaderTenths = 4 * 36000 + 28 * 600 + 70 + n * 13;
        for (int i = 0; i < rows; i++) {
            int person = (i * 3 + n) % NAMES.length;
            int tenths = leaderTenths + i * (1234 + n * 7);
            String[] row = new String[7];
            row[0] = String.valueOf(i + 1);
            row[1] = String.valueOf(200 + person);
            row[2] = NAMES[person];
            row[3] = CLUBS[person % CLUBS.length];
            row[4] = CLASSES[(person / 2) % CLASSES.length];
            row[5] = time(tenths);
            row[6] = i == 0 ? LEADER_GAP : time(tenths - leaderTenths);
            standings.rows.add(row);
            standings.finishers.put(row[3], i);
        }
        return standings;
    }

    static String time(int tenths) {
        return String.format("%d:%02d:%02d.%d", tenths / 36000, tenths / 600 % 60, tenths / 10 % 60, tenths % 10);
    }

    static String json(List<String[]> rows) {
        StringBuilder out = new StringBuilder("{\"rows\":[");
        String[] keys = { "bib", "name", "club", "class", "time", "gap" };
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            if (i > 0) out.append(',');
            out.append("{\"rank\":").append(Integer.parseInt(row[0]));
            for (int k = 0; k < keys.length; k++) {
                out.append(",\"").append(keys[k]).append("\":\"");
                for (char c : row[k + 1].toCharArray()) {
                    if (c == '"' || c == '\\') out.append('\\');
                    out.append(c);
                }
                out.append('"');
            }
            out.append('}');
        }
        return out.append("]}").toString();
    }
}
