// Writes an Agrona idle status (0 not controlled, 1 noop, 2 busy-spin, 3 yield, 4 park) into
// the dutycycle idle control counter (type id 7710) with the given label, in the CnC file of
// the media driver directory given, as an operator switches a running agent's strategy.
//
//   java -cp $AERON_ALL_JAR SetIdleControl.java <aeron dir> "<label>" <status>
//
// Prints `counter <id> = <status>` for each counter it wrote; exits 1 when none matched.
import io.aeron.CncFileDescriptor;
import java.io.File;
import java.nio.MappedByteBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

public class SetIdleControl {
    static final int IDLE_CONTROL_TYPE_ID = 7710;

    public static void main(String[] args) {
        File cnc = new File(args[0], CncFileDescriptor.CNC_FILE);
        String label = args[1];
        long status = Long.parseLong(args[2]);
        MappedByteBuffer file = IoUtil.mapExistingFile(cnc, "cnc"); // read-write
        int[] written = {0};
        try {
            UnsafeBuffer meta = CncFileDescriptor.createMetaDataBuffer(file);
            CountersReader counters = new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(file, meta),
                CncFileDescriptor.createCountersValuesBuffer(file, meta));
            counters.forEach((id, typeId, key, counterLabel) -> {
                if (typeId == IDLE_CONTROL_TYPE_ID && counterLabel.equals(label)) {
                    counters.valuesBuffer().putLongVolatile(CountersReader.counterOffset(id), status);
                    System.out.println("counter " + id + " = " + status);
                    written[0]++;
                }
            });
        } finally {
            IoUtil.unmap(file);
        }
        System.exit(written[0] > 0 ? 0 : 1);
    }
}
