"""The rules the server owns and both front ends follow (enums, limits, time zone), served as one document."""
