//! Messages encoded once and sent as they are.
//!
//! A round's wire form does not change between two events, and a live event is the same for every subscriber, so
//! the server encodes each once and hands the bytes to every answer and stream that carries it: [`Encoded`] is a
//! [`prost::Message`] whose encoding is bytes it already holds (shared, so a copy is a reference count). On the
//! wire nothing differs: clients decode the answer as the message the proto names.
//!
//! Protobuf lets a message be the concatenation of its fields, each with its key, and a repeated field be its
//! elements one after the other; so a page of rounds is the rounds' encoded fields end to end, followed by the
//! page's own fields ([`field`]).

use std::fmt;
use std::marker::PhantomData;

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message;
use prost::encoding::{DecodeContext, WireType, encode_key, encode_varint, encoded_len_varint};

/// The encoding of a message `T`, held as shared bytes and written as they are.
pub struct Encoded<T> {
    bytes: Bytes,
    message: PhantomData<fn() -> T>,
}

impl<T: Message + Default> Encoded<T> {
    /// Encodes `message`.
    pub fn new(message: &T) -> Self {
        Self::from_encoding(Bytes::from(message.encode_to_vec()))
    }

    /// Bytes that are already the encoding of a `T` (a sequence of its fields, each with its key), such as
    /// [`field`]s end to end. Debug builds check that they decode as a `T`.
    pub fn from_encoding(bytes: Bytes) -> Self {
        debug_assert!(
            T::decode(bytes.clone()).is_ok(),
            "bytes that do not decode as the message they claim to encode"
        );
        Self {
            bytes,
            message: PhantomData,
        }
    }

    /// The message these bytes encode (decoded now).
    pub fn to_message(&self) -> Result<T, prost::DecodeError> {
        T::decode(self.bytes.clone())
    }
}

impl<T> Encoded<T> {
    /// The encoding.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

/// `message` as field `number` of an enclosing message: the field's key, the message's length, its bytes. Fields
/// made with it, put end to end, are the encoding of the enclosing message (a repeated field's elements are its
/// fields one after the other).
pub fn field(number: u32, message: &impl Message) -> Bytes {
    let len = message.encoded_len();
    let mut buf = BytesMut::with_capacity(10 + encoded_len_varint(len as u64) + len);
    encode_key(number, WireType::LengthDelimited, &mut buf);
    encode_varint(len as u64, &mut buf);
    message.encode_raw(&mut buf);
    buf.freeze()
}

/// Builds an [`Encoded`] message from fields already encoded, then fields encoded now.
pub struct Builder<T> {
    buf: BytesMut,
    message: PhantomData<fn() -> T>,
}

impl<T: Message + Default> Builder<T> {
    /// Room for `capacity` bytes before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(capacity),
            message: PhantomData,
        }
    }

    /// Appends fields already encoded (such as a [`field`]): they must be fields of `T`.
    pub fn put_encoded(&mut self, fields: &[u8]) {
        self.buf.put_slice(fields);
    }

    /// Appends the fields of `rest` that are set: a `T` with the fields [`Builder::put_encoded`] added left
    /// unset (protobuf merges a message's fields in the order they come, and a repeated field's elements
    /// accumulate).
    pub fn finish(mut self, rest: &T) -> Encoded<T> {
        rest.encode_raw(&mut self.buf);
        Encoded::from_encoding(self.buf.freeze())
    }
}

impl<T> Clone for Encoded<T> {
    fn clone(&self) -> Self {
        Self {
            bytes: self.bytes.clone(),
            message: PhantomData,
        }
    }
}

impl<T> Default for Encoded<T> {
    /// The encoding of a message with no field set.
    fn default() -> Self {
        Self {
            bytes: Bytes::new(),
            message: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Encoded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Encoded<{}>({} bytes)",
            std::any::type_name::<T>(),
            self.bytes.len()
        )
    }
}

impl<T: Message + Default> Message for Encoded<T> {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.bytes);
    }

    /// Decoding goes through `T`, so what is accepted is what `T` accepts: it decodes what is held, merges the field
    /// and encodes again, which is slow and meant for tests (a server never decodes what it sends).
    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl bytes::Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        let mut message = self.to_message()?;
        message.merge_field(tag, wire_type, buf, ctx)?;
        self.bytes = Bytes::from(message.encode_to_vec());
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    fn clear(&mut self) {
        self.bytes = Bytes::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{Draw, GetDrawResponse, ListDrawsResponse};

    fn draw(number: &str, score: u32) -> Draw {
        Draw {
            number: number.into(),
            minimum_crs: score,
            invitations: 1_000 + score,
            ..Draw::default()
        }
    }

    #[test]
    fn a_field_alone_is_the_enclosing_message() {
        let d = draw("#300", 481);
        let got = GetDrawResponse::decode(field(1, &d)).unwrap();
        assert_eq!(got.draw, Some(d));
    }

    #[test]
    fn fields_end_to_end_then_the_rest_decode_as_the_whole_message() {
        let draws = vec![draw("#300", 481), draw("#299", 0), draw("#298", 520)];
        let want = ListDrawsResponse {
            draws: draws.clone(),
            next_page_token: "next".into(),
            total_size: 435,
        };
        let mut builder = Builder::<ListDrawsResponse>::with_capacity(64);
        for d in &draws {
            builder.put_encoded(&field(1, d));
        }
        let page = builder.finish(&ListDrawsResponse {
            draws: vec![],
            next_page_token: "next".into(),
            total_size: 435,
        });
        assert_eq!(page.to_message().unwrap(), want);
        // The same bytes as prost writes: fields in number order.
        assert_eq!(page.bytes().as_ref(), want.encode_to_vec().as_slice());
        assert_eq!(page.encoded_len(), want.encoded_len());
    }

    #[test]
    fn sent_and_received_through_prost_as_the_named_message() {
        let want = GetDrawResponse {
            draw: Some(draw("#1", 886)),
        };
        let encoded = Encoded::new(&want);
        // What a client decodes.
        let wire = encoded.encode_to_vec();
        assert_eq!(GetDrawResponse::decode(wire.as_slice()).unwrap(), want);
        // Decoding into an Encoded goes through the message.
        let back = Encoded::<GetDrawResponse>::decode(wire.as_slice()).unwrap();
        assert_eq!(back.to_message().unwrap(), want);
        assert!(Encoded::<GetDrawResponse>::decode(&[0x0a, 0x05, 0x01][..]).is_err());
        assert_eq!(Encoded::<GetDrawResponse>::default().encoded_len(), 0);
    }
}
