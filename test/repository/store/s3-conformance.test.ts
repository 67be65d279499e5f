import { blobStoreConformance } from './conformance.js';
import { useMotoBucket } from './s3-setup.js';

// The BlobStore contract against moto_server, with the default part size (16 MiB) and concurrency.
const s3 = useMotoBucket();
blobStoreConformance('S3Store against moto_server', async () => s3.s3Store());
