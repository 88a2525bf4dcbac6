module docferry/tools/extjson-ref

go 1.24

require go.mongodb.org/mongo-driver v1.17.3
