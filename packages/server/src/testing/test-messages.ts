/**
 * Message types that exist only for tests, built from descriptors at run time: the
 * contract has no map of messages, but the mechanisms that walk messages must handle one.
 */
import { create, createFileRegistry, type DescMessage } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { file_gitpod_v1_identity } from "@runnerplane/api/gitpod/v1/identity_pb";

/** `message Holder { map<string, gitpod.v1.Subject> subjects = 1; }` in package `test.maps`. */
export function subjectMapHolder(): DescMessage {
  const registry = createFileRegistry(
    create(FileDescriptorProtoSchema, {
      name: "test/maps.proto",
      package: "test.maps",
      syntax: "proto3",
      dependency: ["gitpod/v1/identity.proto"],
      messageType: [
        {
          name: "Holder",
          field: [
            {
              name: "subjects",
              number: 1,
              label: FieldDescriptorProto_Label.REPEATED,
              type: FieldDescriptorProto_Type.MESSAGE,
              typeName: ".test.maps.Holder.SubjectsEntry",
              jsonName: "subjects",
            },
          ],
          nestedType: [
            {
              name: "SubjectsEntry",
              options: { mapEntry: true },
              field: [
                { name: "key", number: 1, type: FieldDescriptorProto_Type.STRING, jsonName: "key" },
                {
                  name: "value",
                  number: 2,
                  type: FieldDescriptorProto_Type.MESSAGE,
                  typeName: ".gitpod.v1.Subject",
                  jsonName: "value",
                },
              ],
            },
          ],
        },
      ],
    }),
    (name) => (name === "gitpod/v1/identity.proto" ? file_gitpod_v1_identity : undefined),
  );
  const holder = registry.getMessage("test.maps.Holder");
  if (!holder) throw new Error("test.maps.Holder is missing");
  return holder;
}
