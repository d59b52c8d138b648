"""DynamoDB Streams' API (ListStreams, DescribeStream, GetShardIterator, GetRecords), served on the
same door as DynamoDB: JSON 1.0 with ``X-Amz-Target: DynamoDBStreams_20120810.<Op>``, signed for the
service ``dynamodb``. The records themselves are written by ``services/dynamodb/streams.py``."""
